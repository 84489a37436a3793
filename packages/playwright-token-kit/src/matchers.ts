/**
 * `expect(page).toHaveRefreshedOnce()` and `expect(page).toHaveNoAuthErrors()`: the two claims a
 * silent-refresh test makes, checked on the network log of the page's context (every tab)
 * since the last `authNetwork.clear()`.
 *
 * A failure names the request that broke the flow and prints the log around it, numbered:
 *
 *   Expected exactly one refresh, saw 5. Request #7 broke the flow: a second refresh,
 *   POST /auth/token (refresh token 1) → 401 refresh_reused.
 *
 * IMPORTANT: the matchers do not retry. Call them once the page shows the action is over, as for
 * `authNetwork.log()`: a refresh that has not been sent yet cannot be counted.
 */
import type { BrowserContext, ExpectMatcherState, Page } from "@playwright/test";
import {
  type ApiExchange,
  AuthNetwork,
  authNetworkOf,
  describeExchange,
  isSuccess,
  numberTokens,
  pairRetries,
} from "./auth-network.js";

type Received = Page | BrowserContext | AuthNetwork;

function networkOf(received: Received): AuthNetwork | undefined {
  if (received instanceof AuthNetwork) return received;
  if (typeof (received as Page).context === "function") {
    return authNetworkOf((received as Page).context());
  }
  return authNetworkOf(received as BrowserContext);
}

const NO_RECORDER =
  "No auth request was recorded for this page: its context has no recorder. Use the kit's " +
  "`signedInPage`, or name the `authNetwork` fixture in the test before opening the page.";

export interface MatcherReport {
  pass: boolean;
  message: () => string;
  name: string;
}

/** Formats exchanges as log lines, with access and refresh tokens numbered over the test. */
function formatter(everything: ApiExchange[]): (e: ApiExchange) => string {
  const numbers = numberTokens(everything);
  const refreshNumbers = new Map<string, number>();
  for (const { refreshToken } of everything) {
    if (refreshToken && !refreshNumbers.has(refreshToken)) {
      refreshNumbers.set(refreshToken, refreshNumbers.size + 1);
    }
  }
  return (e) => {
    const line = describeExchange(e, numbers);
    if (!e.isRefresh || !e.refreshToken) return line;
    return line.replace(" → ", ` (refresh token ${refreshNumbers.get(e.refreshToken)}) → `);
  };
}

interface Seen {
  since: ApiExchange[];
  /** `#3 POST /auth/token (refresh token 1) → 200` */
  line(e: ApiExchange): string;
  /** The log since `clear()`, numbered from 1, `culprit` marked with an arrow. */
  log(culprit: ApiExchange | null): string;
}

async function read(received: Received): Promise<Seen | null> {
  const network = networkOf(received);
  if (!network) return null;
  const since = await network.exchanges();
  const format = formatter(await network.everything());
  const line = (e: ApiExchange) => `#${since.indexOf(e) + 1} ${format(e)}`;
  return {
    since,
    line,
    log: (culprit) =>
      since.map((e) => `  ${e === culprit ? "→" : " "} ${line(e)}`).join("\n") || "  (none)",
  };
}

export const tokenKitMatchers = {
  async toHaveRefreshedOnce(this: ExpectMatcherState, received: Received): Promise<MatcherReport> {
    const name = "toHaveRefreshedOnce";
    const seen = await read(received);
    if (!seen) return { pass: false, name, message: () => NO_RECORDER };
    const { since, line } = seen;
    const refreshes = since.filter((e) => e.isRefresh);
    const [first, second] = refreshes;
    const pass = refreshes.length === 1 && isSuccess(first!);
    let culprit: ApiExchange | null = null;
    let verdict: string;
    if (refreshes.length === 0) verdict = "Expected exactly one refresh, saw none.";
    else if (second) {
      culprit = second;
      verdict =
        `Expected exactly one refresh, saw ${refreshes.length}. Request ` +
        `${line(second)} broke the flow: a second refresh.`;
    } else if (!isSuccess(first!)) {
      culprit = first!;
      verdict = `The one refresh was refused: request ${line(first!)}.`;
    } else verdict = "Expected not exactly one successful refresh, but saw one.";
    const log = seen.log(culprit);
    return {
      pass,
      name,
      message: () =>
        `${this.utils.matcherHint(name, "page", "", { isNot: this.isNot })}\n\n${verdict}\n\n` +
        `API requests since authNetwork.clear():\n${log}`,
    };
  },

  async toHaveNoAuthErrors(this: ExpectMatcherState, received: Received): Promise<MatcherReport> {
    const name = "toHaveNoAuthErrors";
    const seen = await read(received);
    if (!seen) return { pass: false, name, message: () => NO_RECORDER };
    const { since, line } = seen;
    let culprit: ApiExchange | null = null;
    let why = "";
    // A refused refresh first: the 401s it leaves unretried are its consequence, not the cause.
    const refused = since.find((e) => e.isRefresh && !isSuccess(e));
    if (refused) {
      culprit = refused;
      why = "the refresh was refused";
    }
    for (const { exchange, retriedBy } of culprit ? [] : pairRetries(since)) {
      if (exchange.status === 403) {
        why = "it was forbidden";
      } else if (exchange.status === 401 && !retriedBy) {
        why = "it answered 401 and was never retried with a new access token";
      } else if (exchange.status === 401 && retriedBy && !isSuccess(retriedBy)) {
        why = `its retry failed too (${line(retriedBy)})`;
      } else continue;
      culprit = exchange;
      break;
    }
    const verdict = culprit
      ? `Expected no auth errors. Request ${line(culprit)} broke the flow: ${why}.`
      : "Expected an auth error, but every 401 was refreshed and retried successfully.";
    const log = seen.log(culprit);
    return {
      pass: culprit === null,
      name,
      message: () =>
        `${this.utils.matcherHint(name, "page", "", { isNot: this.isNot })}\n\n${verdict}\n\n` +
        `API requests since authNetwork.clear():\n${log}`,
    };
  },
};
