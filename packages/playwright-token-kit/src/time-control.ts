/**
 * One clock for the browser and the server, so a test can say "six minutes later" and watch what
 * the app does, or make the page's access token expire for real, without waiting for it.
 *
 * - The browser: Playwright's clock (`context.clock`), installed before the first page loads.
 *   Time still flows normally; `advance` jumps it forward, firing each timer that came due once
 *   (`clock.fastForward`), as a laptop waking from sleep would.
 * - The server, with a clock header (adapter `expiry.clockHeader`): the header is sent with every
 *   request of the context (`context.setExtraHTTPHeaders`). The server reads "now" as its own
 *   time plus that offset, for that request only, so tests running side by side never move each
 *   other's clock.
 * - The server, with short-lived tokens (adapter `expiry.shortTtl`): there is no clock to move.
 *   `expireAccessToken` presents the token to the probe route until the server refuses it: a
 *   wait of at most the token's lifetime, ended by the server's answer, not by a timer.
 *
 * IMPORTANT: the order inside `advance` matters. The server moves first, then the browser: a
 * timer that comes due in the jump (a proactive refresh) sends its request with the new offset
 * already on it. The other way round, the refresh would reach a server that still lives in the
 * past.
 */
import type { BrowserContext } from "@playwright/test";
import { type TokenKitAdapter, requestTokenHeaders } from "./adapter.js";
import { readJwtClaims } from "./jwt.js";

/** Milliseconds, or a count with a unit: `"90s"`, `"6m"`, `"2h"`, `"31d"`. */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h" | "d"}`;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * @example
 * toMilliseconds("6m"); // 360000
 * toMilliseconds(1500); // 1500
 */
export function toMilliseconds(duration: Duration): number {
  if (typeof duration === "number") return duration;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new Error(`Not a duration: "${duration}" (try "90s", "6m", "2h", "31d").`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Where `expireAccessToken()` finds the page's current token when it is not given one. */
export type CurrentAccessToken = () => Promise<string | null>;

export class TimeControl {
  private serverOffsetMs = 0;

  private constructor(
    private readonly context: BrowserContext,
    private readonly adapter: TokenKitAdapter,
    private readonly baseHeaders: Record<string, string>,
    private readonly currentAccessToken: CurrentAccessToken,
  ) {}

  /**
   * Installs Playwright's clock on `context`. Call it before the context opens its first page
   * (the `time` fixture does): a page that loaded earlier keeps the real clock.
   *
   * `baseHeaders`: the context's own extra headers (`use.extraHTTPHeaders`), kept on every
   * request. `setExtraHTTPHeaders` replaces the whole set, so the offset is sent beside them.
   */
  static async install(
    context: BrowserContext,
    adapter: TokenKitAdapter,
    options: { baseHeaders?: Record<string, string>; currentAccessToken?: CurrentAccessToken } = {},
  ): Promise<TimeControl> {
    await context.clock.install();
    return new TimeControl(
      context,
      adapter,
      options.baseHeaders ?? {},
      options.currentAccessToken ?? (async () => null),
    );
  }

  /** How far the server's clock has been moved for this context, in whole seconds. */
  get serverOffsetSeconds(): number {
    return this.serverOffsetMs / 1000;
  }

  /** The header that puts another request (e.g. from an `APIRequestContext`) on the same time. */
  headers(): Record<string, string> {
    const { expiry } = this.adapter;
    if (!("clockHeader" in expiry) || this.serverOffsetMs === 0) return {};
    return { [expiry.clockHeader]: String(this.serverOffsetSeconds) };
  }

  /**
   * Moves the browser and the server forward together. The page's timers that come due fire once
   * each, in order; its next requests reach a server that agrees about the time. Needs a server
   * clock (`expiry.clockHeader`).
   *
   * @example
   * await time.advance("6m"); // a 5-minute access token has expired, on both sides
   */
  async advance(duration: Duration): Promise<void> {
    const ms = toMilliseconds(duration);
    await this.advanceServer(ms);
    await this.context.clock.fastForward(ms);
  }

  /**
   * Moves only the server forward. The page still believes its tokens are as fresh as before,
   * so the only way it can learn otherwise is the server's 401: the path a clock-skewed or
   * sleeping client takes.
   */
  async advanceServer(duration: Duration): Promise<void> {
    const { expiry } = this.adapter;
    if (!("clockHeader" in expiry)) {
      throw new Error(
        `${this.adapter.name ?? "This app"} has no server clock the kit can move (its adapter uses ` +
          "expiry.shortTtl): use time.expireAccessToken(), or give the server a test clock and " +
          "the adapter expiry.clockHeader.",
      );
    }
    const ms = toMilliseconds(duration);
    if (ms < 0 || ms % 1000 !== 0) {
      throw new Error(`The server clock moves forward in whole seconds; got ${ms} ms.`);
    }
    this.serverOffsetMs += ms;
    await this.context.setExtraHTTPHeaders({ ...this.baseHeaders, ...this.headers() });
  }

  /**
   * Makes `accessToken` (default: the page's current one) expired as the server sees it, and
   * leaves the browser's clock alone. The page keeps a token it thinks is fresh and the server
   * now refuses: its next call meets a 401.
   *
   * With a clock header, the server moves just past the token's `exp`. With short-lived tokens,
   * the token is presented to the probe route until the server answers 401.
   */
  async expireAccessToken(accessToken?: string): Promise<void> {
    const token = accessToken ?? (await this.currentAccessToken());
    if (!token) {
      throw new Error(
        "expireAccessToken(): no access token was given, and none was seen on the page's traffic.",
      );
    }
    const { exp } = readJwtClaims(token);
    if (typeof exp !== "number") throw new Error("The access token has no numeric exp claim.");
    const { expiry } = this.adapter;
    if ("clockHeader" in expiry) {
      const serverNowMs = Date.now() + this.serverOffsetMs;
      const untilExpiredMs = Math.max(0, exp * 1000 - serverNowMs);
      // Whole seconds, one more than needed: exp is compared with the server's clock in seconds.
      await this.advanceServer(Math.ceil(untilExpiredMs / 1000) * 1000 + 1000);
      return;
    }
    await this.probeUntilRefused(token, exp, expiry.shortTtl.probe);
  }

  private async probeUntilRefused(
    token: string,
    exp: number,
    probe: { path: string; method?: string },
  ): Promise<void> {
    // The lifetime left, plus slack for a loaded machine; past that, something else is wrong.
    const deadline = Math.max(Date.now(), exp * 1000) + 15_000;
    let last = "";
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const page = this.context.pages()[0];
      const method = probe.method ?? "GET";
      const url = page ? new URL(probe.path, page.url()).href : probe.path;
      const response = await this.context.request.fetch(probe.path, {
        method,
        headers: await requestTokenHeaders(this.adapter, page, token, { method, url }),
      });
      if (response.status() === 401) return;
      last = String(response.status());
      // The server's answer ends the wait; between probes, give it a moment (grows to 250 ms).
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, 25 * 2 ** attempt)));
    }
    throw new Error(
      `The server still accepted the access token 15 s after its exp (${probe.path} → ${last}).`,
    );
  }
}
