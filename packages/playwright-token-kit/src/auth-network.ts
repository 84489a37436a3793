/**
 * What the browser and the API said to each other, read from the network: every API request of a
 * browser context (all its tabs), the access token it carried, the refresh cookie it sent, and
 * the status and error code that came back.
 *
 * Assertions read this rather than the app's own event log, because the claims under test are
 * claims about traffic: "one refresh call", "the first request got 401 token_expired and the
 * retry carried a new token", "no refresh was refused".
 *
 * Tokens are long and unreadable, so the log names them by order of first use:
 *
 *   POST /api/notes (token 1) → 401 token_expired
 *   POST /api/auth/refresh → 200
 *   POST /api/notes (token 2) → 201
 *
 * IMPORTANT: requests are listed in the order the browser sent them, and each entry resolves when
 * its response has arrived. Read after the UI shows that the action is over, so that every
 * request of the action has been sent.
 */
import type { BrowserContext, Request, Response } from "@playwright/test";
import {
  type TokenKitAdapter,
  defaultErrorCode,
  readCookie,
  readJsonPath,
  readRequestToken,
  requestTokenHeader,
} from "./adapter.js";
import { type DecodedToken, decodeToken } from "./jwt.js";

/** One API request and its answer. */
export interface ApiExchange {
  method: string;
  path: string;
  /** The access token the request carried, or `null`. */
  accessToken: string | null;
  /** The refresh cookie the browser sent with it, or `null`. */
  refreshToken: string | null;
  /** `null` when no response arrived (network error, or the page went away first). */
  status: number | null;
  /** The error code of an error response, when its body could still be read. */
  code: string | null;
  /** Whether this is a call of the adapter's refresh endpoint. */
  isRefresh: boolean;
  /** The access token the answer delivered (adapter `accessToken.response`), or `null`. */
  issuedAccessToken: string | null;
}

/** The counts the silent-refresh specs care about. */
export interface AuthNetworkSummary {
  /** Refresh calls, whatever they answered. */
  refreshes: number;
  /** The answers of refresh calls that did not succeed, e.g. `["401 refresh_token_reused"]`. */
  failedRefreshes: string[];
  /** 401 answers from other routes, by error code. */
  unauthorized: Record<string, number>;
  /** Requests that repeat one that got a 401, with a different access token. */
  retries: number;
}

/** One line of the trace attachment: an exchange with every token decoded, none raw. */
export interface TracedExchange {
  index: number;
  method: string;
  path: string;
  status: number | null;
  code: string | null;
  refresh: boolean;
  accessToken: DecodedToken | null;
  refreshToken: DecodedToken | null;
  issuedAccessToken: DecodedToken | null;
}

const recorders = new WeakMap<BrowserContext, AuthNetwork>();

/** The recorder listening to `context`, if a test made one (the `authNetwork` fixture does). */
export function authNetworkOf(context: BrowserContext): AuthNetwork | undefined {
  return recorders.get(context);
}

export class AuthNetwork {
  private readonly recorded: Promise<ApiExchange>[] = [];
  private clearedAt = 0;

  /** Starts listening to every page of `context`, including pages opened later. */
  constructor(
    context: BrowserContext,
    readonly adapter: TokenKitAdapter,
  ) {
    recorders.set(context, this);
    context.on("request", (request) => {
      if (this.isApiRequest(request)) this.recorded.push(this.readExchange(request));
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

  /** Every exchange of the test, `clear()` or not. */
  async everything(): Promise<ApiExchange[]> {
    return Promise.all(this.recorded);
  }

  /**
   * The exchanges since the last `clear()` as lines, e.g. `GET /api/me (token 2) → 200`. Tokens
   * are numbered over the whole test, so the token used before `clear()` is still "token 1".
   */
  async log(): Promise<string[]> {
    const everything = await this.everything();
    const numbers = numberTokens(everything);
    return everything.slice(this.clearedAt).map((e) => describeExchange(e, numbers));
  }

  /** The refresh token each refresh call presented, in order (`null`: no cookie was sent). */
  async presentedRefreshTokens(): Promise<(string | null)[]> {
    return (await this.exchanges()).filter((e) => e.isRefresh).map((e) => e.refreshToken);
  }

  /** The access token of the latest request that carried one. */
  async lastAccessToken(): Promise<string> {
    const tokens = (await this.everything()).map((e) => e.accessToken);
    const token = tokens.filter((t) => t !== null).at(-1);
    if (!token) throw new Error("No request with an access token was recorded.");
    return token;
  }

  /** The newest access token the app was given (an answer's) or used (a request's), or `null`. */
  async newestAccessToken(): Promise<string | null> {
    let newest: string | null = null;
    for (const e of await this.everything())
      newest = e.issuedAccessToken ?? e.accessToken ?? newest;
    return newest;
  }

  async summary(): Promise<AuthNetworkSummary> {
    const exchanges = await this.exchanges();
    const unauthorized: Record<string, number> = {};
    let retries = 0;
    for (const { exchange, isRetry } of pairRetries(exchanges)) {
      if (exchange.status === 401) {
        const code = exchange.code ?? "unknown";
        unauthorized[code] = (unauthorized[code] ?? 0) + 1;
      }
      if (isRetry) retries++;
    }
    const refreshes = exchanges.filter((e) => e.isRefresh);
    return {
      refreshes: refreshes.length,
      failedRefreshes: refreshes.filter((e) => !isSuccess(e)).map(describeAnswer),
      unauthorized,
      retries,
    };
  }

  /**
   * Every exchange of the test with its tokens decoded (JWT header and claims, a SHA-256
   * fingerprint) and never raw: what the kit attaches to each test as `auth-requests.json`.
   */
  async trace(): Promise<TracedExchange[]> {
    const everything = await this.everything();
    const access = new Map<string, number>();
    const refresh = new Map<string, number>();
    const decode = (token: string | null, refs: Map<string, number>, label: string) => {
      if (token === null) return null;
      if (!refs.has(token)) refs.set(token, refs.size + 1);
      return decodeToken(token, `${label} ${refs.get(token)}`);
    };
    return everything.map((e, index) => ({
      index: index + 1,
      method: e.method,
      path: e.path,
      status: e.status,
      code: e.code,
      refresh: e.isRefresh,
      accessToken: decode(e.accessToken, access, "token"),
      refreshToken: decode(e.refreshToken, refresh, "refresh token"),
      issuedAccessToken: decode(e.issuedAccessToken, access, "token"),
    }));
  }

  private isApiRequest(request: Request): boolean {
    const url = new URL(request.url());
    if (this.adapter.isApiRequest) return this.adapter.isApiRequest(url);
    return request.resourceType() === "fetch" || request.resourceType() === "xhr";
  }

  private async readExchange(request: Request): Promise<ApiExchange> {
    // Never rejects: one unreadable request must not hide what the others say.
    const { adapter } = this;
    const tokenHeader = await request.headerValue(requestTokenHeader(adapter)).catch(() => null);
    const cookies = await request.headerValue("cookie").catch(() => null);
    const path = new URL(request.url()).pathname;
    const exchange = {
      method: request.method(),
      path,
      accessToken: readRequestToken(adapter, tokenHeader),
      refreshToken: readCookie(cookies, adapter.refresh.cookie),
      isRefresh: path === adapter.refresh.path,
    };
    const response = await request.response().catch(() => null);
    if (!response) {
      return {
        ...exchange,
        status: null,
        code: null,
        issuedAccessToken: null,
      };
    }
    const status = response.status();
    // IMPORTANT: no `Set-Cookie` here. Reading it needs the response's raw headers, which
    // Chromium does not always report, and the read then never resolves.
    // The body is gone when the page navigated away (a refused refresh sends many apps to their
    // login page at once): `code` and the issued token then stay null.
    const source = adapter.accessToken.response;
    const wantsBody = status >= 400 || (source !== undefined && "json" in source);
    const body: unknown = wantsBody ? await readBody(response) : null;
    let issuedAccessToken: string | null = null;
    if (status < 400 && source) {
      issuedAccessToken =
        "json" in source
          ? readJsonPath(body, source.json)
          : (response.headers()[source.header.toLowerCase()] ?? null);
    }
    const code = status >= 400 ? (adapter.errorCode ?? defaultErrorCode)(body) : null;
    return { ...exchange, status, code, issuedAccessToken };
  }
}

/**
 * The JSON body of `response`, or `null`.
 *
 * IMPORTANT: bounded. Chromium hands over a body only once it has finished loading, and a body the
 * page never reads (a client that looks only at `response.status`) may never finish: without the
 * bound, one such response would hang every read of the log.
 */
async function readBody(response: Response): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), BODY_WAIT_MS);
  });
  try {
    return await Promise.race([response.json().catch(() => null), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

const BODY_WAIT_MS = 2_000;

/** Numbers access tokens by their first use in a request. */
export function numberTokens(exchanges: ApiExchange[]): Map<string, number> {
  const numbers = new Map<string, number>();
  for (const { accessToken } of exchanges) {
    if (accessToken !== null && !numbers.has(accessToken)) {
      numbers.set(accessToken, numbers.size + 1);
    }
  }
  return numbers;
}

/** `POST /api/notes (token 1) → 401 token_expired`. */
export function describeExchange(exchange: ApiExchange, numbers: Map<string, number>): string {
  const { method, path, accessToken } = exchange;
  const token = accessToken === null ? "" : ` (token ${numbers.get(accessToken)})`;
  return `${method} ${path}${token} → ${describeAnswer(exchange)}`;
}

/** `"200"`, `"401 token_expired"`, `"no response"`. */
export function describeAnswer(exchange: ApiExchange): string {
  if (exchange.status === null) return "no response";
  return [exchange.status, exchange.code].filter(Boolean).join(" ");
}

export function isSuccess(exchange: ApiExchange): boolean {
  return exchange.status !== null && exchange.status < 400;
}

/**
 * Walks the exchanges in order and pairs each 401 with the request that repeated it (same method
 * and path, another access token): the retry of a silent refresh.
 */
export function pairRetries(
  exchanges: ApiExchange[],
): { exchange: ApiExchange; isRetry: boolean; retriedBy: ApiExchange | null }[] {
  const awaitingRetry: ApiExchange[] = [];
  const retriedBy = new Map<ApiExchange, ApiExchange>();
  const retries = new Set<ApiExchange>();
  for (const exchange of exchanges) {
    if (exchange.isRefresh) continue;
    const failed = awaitingRetry.findIndex(
      (f) =>
        f.method === exchange.method &&
        f.path === exchange.path &&
        f.accessToken !== exchange.accessToken,
    );
    if (failed !== -1) {
      retriedBy.set(awaitingRetry.splice(failed, 1)[0]!, exchange);
      retries.add(exchange);
    }
    if (exchange.status === 401) awaitingRetry.push(exchange);
  }
  return exchanges.map((exchange) => ({
    exchange,
    isRetry: retries.has(exchange),
    retriedBy: retriedBy.get(exchange) ?? null,
  }));
}
