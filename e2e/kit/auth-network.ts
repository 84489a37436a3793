/**
 * What the browser and the API said to each other, read from the network: every request to
 * `/api/*` (app.ts `isApiPath`), the access token it carried, and the status and error code that came back.
 *
 * Specs assert on this rather than on the app's own event log, because the claims under test are
 * claims about traffic: "one refresh call", "the first request got 401 token_expired and the
 * retry carried a new token", "no refresh was answered refresh_token_reused".
 *
 * Access tokens are long and unreadable, so the log names them by order of first use:
 *
 *   POST /api/notes (token 1) → 401 token_expired
 *   POST /api/auth/refresh → 200
 *   POST /api/notes (token 2) → 201
 *
 * IMPORTANT: requests are listed in the order the browser sent them, and each entry resolves when
 * its response has arrived. Call `exchanges()`/`log()`/`summary()` after the UI shows that the
 * action is over, so that every request of the action has been sent.
 */
import type { BrowserContext, Request } from "@playwright/test";
import {
  REFRESH_COOKIE_NAME,
  REFRESH_PATH,
  isApiPath,
  readAccessToken,
  readErrorCode,
} from "./app";

/** One request to `/api/*` and its answer. */
export interface ApiExchange {
  method: string;
  path: string;
  /** The bearer token the request carried, or `null`. */
  accessToken: string | null;
  /** The refresh cookie the browser sent with it (only /api/auth/* requests get one), or `null`. */
  refreshToken: string | null;
  /** `null` when no response arrived (network error, or the page went away first). */
  status: number | null;
  /** `error.code` of an error response, when its body could still be read (see `readExchange`). */
  code: string | null;
}

/** The counts the silent-refresh specs care about. */
export interface AuthNetworkSummary {
  /** POST /api/auth/refresh calls, whatever they answered. */
  refreshes: number;
  /** The answers of refresh calls that did not succeed, e.g. `["401 refresh_token_reused"]`. */
  failedRefreshes: string[];
  /** 401 answers from data routes (not the refresh endpoint), by `error.code`. */
  unauthorized: Record<string, number>;
  /** Requests that repeat one that got a 401, with a different access token. */
  retries: number;
}

export class AuthNetwork {
  private readonly recorded: Promise<ApiExchange>[] = [];
  private clearedAt = 0;

  /** Starts listening to every page of `context`, including pages opened later. */
  constructor(context: BrowserContext) {
    context.on("request", (request) => {
      if (isApiRequest(request)) this.recorded.push(this.readExchange(request));
    });
  }

  /** Starts a new chapter: later reads see only what is sent from now on. */
  clear(): void {
    this.clearedAt = this.recorded.length;
  }

  /** Every exchange since the last `clear()`, in the order the requests were sent. */
  async exchanges(): Promise<ApiExchange[]> {
    return Promise.all(this.recorded.slice(this.clearedAt));
  }

  /**
   * The exchanges since the last `clear()` as lines, e.g. `GET /api/me (token 2) → 200`. Tokens
   * are numbered over the whole test, so the token used before `clear()` is still "token 1".
   */
  async log(): Promise<string[]> {
    const everything = await Promise.all(this.recorded);
    const numbers = new Map<string, number>();
    for (const { accessToken } of everything) {
      if (accessToken !== null && !numbers.has(accessToken)) {
        numbers.set(accessToken, numbers.size + 1);
      }
    }
    return everything.slice(this.clearedAt).map(({ method, path, accessToken, status, code }) => {
      const token = accessToken === null ? "" : ` (token ${numbers.get(accessToken)})`;
      const answer = status === null ? "no response" : [status, code].filter(Boolean).join(" ");
      return `${method} ${path}${token} → ${answer}`;
    });
  }

  /** The refresh token each refresh call presented, in order (`null`: no cookie was sent). */
  async presentedRefreshTokens(): Promise<(string | null)[]> {
    return (await this.exchanges())
      .filter((e) => e.path === REFRESH_PATH)
      .map((e) => e.refreshToken);
  }

  /** The access token of the latest request that carried one. */
  async lastAccessToken(): Promise<string> {
    const tokens = (await Promise.all(this.recorded)).map((e) => e.accessToken);
    const token = tokens.filter((t) => t !== null).at(-1);
    if (!token) throw new Error("No request with an access token was recorded.");
    return token;
  }

  private async readExchange(request: Request): Promise<ApiExchange> {
    // Never rejects: one unreadable request must not hide what the others say.
    const authorization = await request.headerValue("authorization").catch(() => null);
    const cookies = await request.headerValue("cookie").catch(() => null);
    const exchange = {
      method: request.method(),
      path: new URL(request.url()).pathname,
      accessToken: readAccessToken(authorization),
      refreshToken: readCookie(cookies, REFRESH_COOKIE_NAME),
    };
    const response = await request.response().catch(() => null);
    if (!response) return { ...exchange, status: null, code: null };
    const status = response.status();
    if (status < 400) return { ...exchange, status, code: null };
    // `code` stays null when the body is gone: a page that navigates away (a refused refresh
    // sends the app to /login at once) takes its responses' bodies with it.
    const body: unknown = await response.json().catch(() => null);
    return { ...exchange, status, code: readErrorCode(body) };
  }

  async summary(): Promise<AuthNetworkSummary> {
    const exchanges = await this.exchanges();
    const unauthorized: Record<string, number> = {};
    let retries = 0;
    const awaitingRetry: ApiExchange[] = [];
    for (const exchange of exchanges) {
      if (exchange.path === REFRESH_PATH) continue;
      const failed = awaitingRetry.findIndex(
        (f) =>
          f.method === exchange.method &&
          f.path === exchange.path &&
          f.accessToken !== exchange.accessToken,
      );
      if (failed !== -1) {
        awaitingRetry.splice(failed, 1);
        retries++;
      }
      if (exchange.status === 401) {
        const code = exchange.code ?? "unknown";
        unauthorized[code] = (unauthorized[code] ?? 0) + 1;
        awaitingRetry.push(exchange);
      }
    }
    const refreshes = exchanges.filter((e) => e.path === REFRESH_PATH);
    return {
      refreshes: refreshes.length,
      failedRefreshes: refreshes
        .filter((e) => e.status !== 200)
        .map((e) => [e.status ?? "no response", e.code].filter(Boolean).join(" ")),
      unauthorized,
      retries,
    };
  }
}

function isApiRequest(request: Request): boolean {
  return isApiPath(new URL(request.url()).pathname);
}

function readCookie(header: string | null, name: string): string | null {
  for (const pair of header?.split(";") ?? []) {
    const [key, ...value] = pair.trim().split("=");
    if (key === name) return value.join("=");
  }
  return null;
}
