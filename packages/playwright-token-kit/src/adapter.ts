/**
 * The one object that tells the kit about an app. Everything else in the kit talks to the app
 * only through it, so adopting the kit is writing this object (see README.md, "The adapter").
 *
 * Each part answers one question:
 *
 *   accounts      how to make a fresh account your sign-up accepts
 *   signIn        how a user signs in: an API call, or a flow through your login page
 *   refresh       which request refreshes, and what the refresh cookie is called
 *   accessToken   how a request carries the access token, and where answers deliver it
 *   expiry        how to make an access token expire for real: a clock the server lets tests move
 *                 per request, or tokens so short-lived that waiting for the server to refuse
 *                 one is cheap
 *   signedInPage  a page only a signed-in user sees, and when it has finished loading
 *
 * IMPORTANT: there is no option to rewrite a token's `exp` in the browser or on the wire. A test of
 * expiry has to meet the server's own refusal, or it proves nothing about the app.
 */
import type { APIRequestContext, APIResponse, BrowserContext, Page } from "@playwright/test";

/** Credentials of one account. `email` is whatever your login form calls the user's name. */
export interface Credentials {
  email: string;
  password: string;
  name?: string;
}

/**
 * State a session needs beside its cookies, as JSON: for an app that binds each session to
 * something its page holds (a DPoP key in IndexedDB, say). See `TokenKitAdapter.sessionState`.
 */
export type SessionState = object;

/**
 * A user signs in with one API call, which leaves the session's cookies in `api`'s jar. It may
 * resolve to the session's `SessionState` (kept beside the cookies); most apps resolve nothing.
 */
export interface ApiSignIn {
  api(api: APIRequestContext, user: Credentials): Promise<SessionState | void>;
}

/**
 * A user signs in through the app's pages: start on a fresh page, resolve once signed in. The
 * kit keeps the page's cookies as the session.
 */
export interface UiSignIn {
  ui(page: Page, user: Credentials): Promise<void>;
}

/** Where an answer (sign-in, refresh) delivers the access token. */
export type AccessTokenSource =
  /** A dotted path into the JSON body: `"accessToken"`, `"access_token"`, `"data.token"`. */
  | { json: string }
  /** A response header, e.g. `"x-access-token"`. */
  | { header: string };

/** How the kit makes an access token expire, as the server sees it. */
export type ExpiryControl =
  /**
   * A test clock the server honours per request: a header carrying an offset in seconds
   * (e.g. `X-Test-Clock-Offset: 360`). `time.advance` and `time.advanceServer` work.
   */
  | { clockHeader: string }
  /**
   * Access tokens short-lived under test (a few seconds): `time.expireAccessToken` presents the
   * token to `probe` until the server answers 401. The server has no clock to move, so
   * `time.advanceServer` throws.
   */
  | { shortTtl: { probe: { path: string; method?: string } } };

export interface TokenKitAdapter {
  /** Shown in failure messages: "pocket-notes: expected one refresh …". */
  name?: string;
  accounts: {
    /** Fresh, unique credentials your sign-up accepts. Default: `<label>-<id>@example.test`. */
    credentials?(label: string): Credentials;
    /** Creates the account (through your API). */
    create(api: APIRequestContext, user: Credentials): Promise<void>;
  };
  signIn: ApiSignIn | UiSignIn;
  /** Ends the session whose cookies are in `api`'s jar (used by `registeredUser`). */
  signOut?(api: APIRequestContext): Promise<void>;
  refresh: {
    /** The refresh endpoint's path, e.g. `"/api/auth/refresh"`. */
    path: string;
    /** Default `"POST"`. */
    method?: string;
    /** The refresh cookie's name. */
    cookie: string;
    /** Headers your client adds to a refresh (a CSRF header, say). */
    headers?: Record<string, string>;
    /**
     * Sends the refresh yourself, for a refresh that needs the session's `SessionState` (a
     * proof signed with the session's key, say). May update `state` in place (a new nonce); the
     * kit saves it. Default: `method path` with `headers` and the jar's cookies.
     */
    send?(api: APIRequestContext, state: SessionState): Promise<APIResponse>;
    /**
     * Whom a successful refresh answer belongs to (its JSON body), so a check-out can tell the
     * worker's session from another account's. Omit when the answer does not say.
     */
    accountOf?(body: unknown): string | null;
  };
  accessToken: {
    /**
     * How a request carries the token. Default: `Authorization: Bearer <token>`. An app whose
     * tokens are bound to a key the page holds (RFC 9449 DPoP: `scheme: "DPoP"`) gives
     * `authorize`: the headers a request the kit makes itself with the page's token must carry
     * (the token and a fresh proof for that method and URL), signed through `page`.
     */
    request?: {
      header: string;
      scheme?: string | null;
      authorize?(
        page: Page,
        token: string,
        request: { method: string; url: string },
      ): Promise<Record<string, string>>;
    };
    /** Where sign-in and refresh answers deliver it. Read for the trace and `expireAccessToken`. */
    response?: AccessTokenSource;
    /** The token the page holds now, through a test hook your app exposes. */
    page?(page: Page): Promise<string | null>;
  };
  expiry: ExpiryControl;
  signedInPage: {
    /** A page only a signed-in user can see. */
    path: string;
    /**
     * Resolves once that page has restored its session and loaded its own data, so that what a
     * test does next is all that its network log holds. Throw to say the session did not restore.
     */
    ready(page: Page): Promise<void>;
  };
  /**
   * For an app whose session lives partly in the browser beyond cookies (a non-extractable key
   * in IndexedDB that signs each refresh): `plant` gives a browser context the state an API
   * sign-in returned (`signIn.api`), before the test's page loads. Without it the kit restores
   * cookies only.
   */
  sessionState?: {
    plant(context: BrowserContext, state: SessionState, baseURL: string): Promise<void>;
  };
  /** Which requests the network recorder writes down. Default: the page's fetch/XHR calls. */
  isApiRequest?(url: URL): boolean;
  /** The error code of an error answer's JSON body. Default: `error.code`, `error`, or `code`. */
  errorCode?(body: unknown): string | null;
  /** Called once per worker before its first test (open a lazy database, load a hasher). */
  wake?(api: APIRequestContext): Promise<void>;
}

/** Returns `adapter` as it is: a typed way to write one in its own file. */
export function defineAdapter(adapter: TokenKitAdapter): TokenKitAdapter {
  return adapter;
}

/** The default `errorCode`: `{ error: { code } }`, `{ error: "code" }` or `{ code }`. */
export function defaultErrorCode(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null) {
    const code = (error as Record<string, unknown>).code;
    if (typeof code === "string") return code;
  }
  return typeof record.code === "string" ? record.code : null;
}

/** Reads `a.b.c` out of a JSON value; `null` when any step is missing or not a string at the end. */
export function readJsonPath(body: unknown, dottedPath: string): string | null {
  let value: unknown = body;
  for (const key of dottedPath.split(".")) {
    if (typeof value !== "object" || value === null) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === "string" ? value : null;
}

/** The access token in a request header value, per the adapter's `accessToken.request`. */
export function readRequestToken(adapter: TokenKitAdapter, value: string | null): string | null {
  if (value === null) return null;
  const scheme = adapter.accessToken.request ? adapter.accessToken.request.scheme : "Bearer";
  if (!scheme) return value.trim() || null;
  const [given, token, ...rest] = value.trim().split(/\s+/);
  return given?.toLowerCase() === scheme.toLowerCase() && token && rest.length === 0 ? token : null;
}

/** The header a request carries its access token in (lower case). */
export function requestTokenHeader(adapter: TokenKitAdapter): string {
  return (adapter.accessToken.request?.header ?? "authorization").toLowerCase();
}

/** The value of that header for `token`. */
export function requestTokenValue(adapter: TokenKitAdapter, token: string): string {
  const scheme = adapter.accessToken.request ? adapter.accessToken.request.scheme : "Bearer";
  return scheme ? `${scheme} ${token}` : token;
}

/**
 * The headers of a request the kit makes itself with `token` (`method url`), signed through `page`
 * when the adapter's `accessToken.request.authorize` says how, else just the token's header.
 */
export async function requestTokenHeaders(
  adapter: TokenKitAdapter,
  page: Page | undefined,
  token: string,
  request: { method: string; url: string },
): Promise<Record<string, string>> {
  const authorize = adapter.accessToken.request?.authorize;
  if (authorize && page) return authorize(page, token, request);
  return { [requestTokenHeader(adapter)]: requestTokenValue(adapter, token) };
}

/** The cookie `name` in a `Cookie` request header, or `null`. */
export function readCookie(header: string | null, name: string): string | null {
  for (const pair of header?.split(";") ?? []) {
    const [key, ...value] = pair.trim().split("=");
    if (key === name) return value.join("=");
  }
  return null;
}
