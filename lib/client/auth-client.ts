/**
 * The client fetch wrapper: every page calls protected routes through `apiFetch`, which attaches
 * the in-memory access token and silently refreshes it with the httpOnly refresh cookie.
 *
 * States of the session (kept in `auth-store.ts`):
 *
 *   unknown --restoreSession()--> authenticated --refresh rejected / logout--> signed_out
 *                                 ^          |                                   |
 *                                 +-refresh--+           login (here or another tab)
 *
 * States of one refresh: idle -> waiting for the cross-tab lock -> (a fresher token arrived while
 * we waited? adopt it) -> POST /api/auth/refresh, with backoff retries on network errors and 5xx
 * -> applied | rejected (sign out) | stale (logout happened meanwhile: drop) | unavailable (keep
 * the session, try again on the next request or wake-up).
 *
 * The races it prevents:
 * 1. Stampede. Five requests fail with `token_expired` at once. Five refreshes would spend the same
 *    refresh token five times and the server would call that reuse. Instead the first 401 starts
 *    the refresh and the other four await the same promise (in-tab single-flight), then each
 *    retries once with the new token.
 * 2. Two tabs, one cookie. Tabs share the refresh cookie, not memory. A Web Lock serialises their
 *    refreshes; because the browser stores the rotated cookie before the lock is released, the
 *    next tab in line sends the new cookie, never the spent one. A BroadcastChannel then spares it
 *    the round trip: the winner posts its new token and a waiter that finds a fresher token than
 *    the one that failed uses it. (Broadcast and lock release are not ordered; if the waiter gets
 *    the lock first it merely rotates once more, legitimately.)
 * 3. Resurrection. A refresh lands after the user logged out. Logout bumps the store's epoch and a
 *    refresh result is applied only under the epoch it started in.
 * 4. Loops. One 401 buys at most one refresh and one retry; a rejected refresh ends the session
 *    and sends the user to the login page instead of trying again.
 * 5. Lying clocks and timers. Expiry is local send time + `accessTokenExpiresIn`, so a clock that
 *    is minutes off does not matter; a laptop that slept does not fire timers, so the proactive
 *    refresh is re-checked on `visibilitychange`, `focus` and `online`.
 *
 * Two methods exist for the inspector page (app/(app)/inspector) and nothing else:
 * `replaceAccessToken` swaps the in-memory token for another token of the same session (the
 * "expire my access token now" scenario hands it a genuinely expired one), and `annotate` writes
 * a scenario marker into the event log. Neither sends a request or tells other tabs.
 */
import { ApiError, isRecord, readApiError, readErrorCode } from "./api-error";
import {
  authStore,
  createAuthStore,
  endSession,
  recordAuthEvent,
  startSession,
  updateSession,
  type AuthEventType,
  type AuthState,
  type AuthStatus,
  type AuthStore,
  type AuthUser,
  type SessionSnapshot,
} from "./auth-store";
import { buildLoginUrl, isSameOriginPath, type SignOutReason } from "./redirect";

export const REFRESH_PATH = "/api/auth/refresh";
export const LOGIN_API_PATH = "/api/auth/login";
export const REGISTER_API_PATH = "/api/auth/register";
export const LOGOUT_API_PATH = "/api/auth/logout";
export const PASSWORD_API_PATH = "/api/auth/password";

export const REFRESH_LOCK_NAME = "auth:refresh";
export const AUTH_CHANNEL_NAME = "auth";

/**
 * Longer than a healthy refresh with all its retries. A waiter that times out keeps its session
 * and does not refresh: spending the cookie while another tab may be mid-rotation is the one
 * thing the lock exists to prevent.
 */
export const LOCK_ACQUIRE_TIMEOUT_MS = 15_000;

/** Waits between attempts: four attempts in all, spread over about six seconds. */
export const RETRY_DELAYS_MS = [500, 1_500, 4_000] as const;

/** Refresh this long before expiry (at most half the token's lifetime, for short demo tokens). */
export const PROACTIVE_REFRESH_LEAD_MS = 30_000;

/**
 * Floor between receiving a token and refreshing it proactively: a server answering
 * `accessTokenExpiresIn: 0` must not turn the timer into a refresh loop.
 */
export const MIN_PROACTIVE_REFRESH_DELAY_MS = 5_000;

/** A token this close to expiry is treated as expired: it could die on the way to the server. */
export const TOKEN_EXPIRY_MARGIN_MS = 2_000;

/**
 * The 401 codes a protected route answers that mean "refresh once, then retry". `session_revoked`
 * is one of them: the access token's session was revoked (instant revocation), but the refresh
 * cookie may already belong to a newer session (a password change starts one), so one refresh
 * decides; if it fails, the tab signs out with the refresh's reason.
 */
const REFRESHABLE_401_CODES: ReadonlySet<string> = new Set([
  "token_missing",
  "token_expired",
  "token_invalid",
  "session_revoked",
]);

/** What the refresh endpoint may answer with a 401; anything else counts as `refresh_token_invalid`. */
const REFRESH_REJECTION_REASONS: ReadonlySet<string> = new Set<SignOutReason>([
  "refresh_token_missing",
  "refresh_token_invalid",
  "refresh_token_reused",
  "session_expired",
  "session_revoked",
]);

/** The subset of `navigator.locks` we use; the fake in the tests implements just this. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<T>,
  ): Promise<T>;
}

/** The subset of `BroadcastChannel` we use. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
}

/** Page visibility plus the events after which timers may have lied (sleep, offline, hidden tab). */
export interface PageLifecycle {
  isVisible(): boolean;
  /** Calls `onWake` on `visibilitychange` (to visible), `focus` and `online`; returns an unsubscribe. */
  subscribe(onWake: () => void): () => void;
}

/**
 * What tabs tell each other. The access token rides along so a waiting tab need not refresh; a
 * BroadcastChannel is same-origin and in-memory, so this adds no place the token could leak from.
 */
export type AuthBroadcast =
  { type: "session"; session: SessionSnapshot } | { type: "signed_out"; reason: SignOutReason };

export interface AuthClientOptions {
  fetch?: typeof fetch;
  /** Defaults to a new store; the browser instance (`getAuthClient`) uses the app-wide `authStore`. */
  store?: AuthStore;
  now?: () => number;
  /** `undefined`: use `navigator.locks` if the browser has it. `null`: in-tab single-flight only. */
  locks?: LockManagerLike | null;
  /** `undefined`: open a `BroadcastChannel` if the browser has one. `null`: no cross-tab messages. */
  channel?: BroadcastChannelLike | null;
  /** `undefined`: `document` + `window` events in a browser. `null`: always visible, never wakes. */
  lifecycle?: PageLifecycle | null;
  navigate?: (url: string) => void;
  /** Path + search of the current page, for `next=`. */
  getCurrentPath?: () => string;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export interface Credentials {
  email: string;
  password: string;
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

export interface Registration extends Credentials {
  name?: string;
}

export interface RestoreOptions {
  /**
   * Whether the page was served with the session hint cookie (httpOnly, so only the server can
   * tell; see lib/auth/cookies.ts). `false` skips the refresh call: no cookie, nothing to restore.
   */
  sessionHint?: boolean;
}

export interface AuthClient {
  readonly store: AuthStore;
  apiFetch(path: string, init?: RequestInit): Promise<Response>;
  apiJson<T>(path: string, init?: RequestInit): Promise<T>;
  refresh(): Promise<string | null>;
  /**
   * Page load: one refresh call turns the httpOnly cookie into an access token. Never navigates:
   * a missing or dead cookie leaves the store `signed_out` with its reason, and the page decides
   * (protected pages go to the login page; public ones keep the visitor where they are).
   */
  restoreSession(options?: RestoreOptions): Promise<AuthStatus>;
  login(credentials: Credentials): Promise<AuthUser>;
  register(registration: Registration): Promise<AuthUser>;
  logout(): Promise<void>;
  /**
   * POST /api/auth/password. The server ends every session of the user, this one included, and
   * answers with a new session (body + refresh cookie) that this tab adopts and tells the other
   * tabs about, as a refresh does. Resolves how many other sessions ended; throws `ApiError`
   * (`invalid_current_password`, `too_many_attempts`, `server_busy`, …) otherwise.
   */
  changePassword(change: PasswordChange): Promise<{ revokedSessions: number }>;
  /**
   * Inspector only: holds `accessToken` instead of the current one, keeping the local expiry
   * estimate, epoch and timers. The next request therefore sends it as if it were fresh, and
   * whatever the server answers (a 401 `token_expired` for an expired token) goes through the
   * ordinary path. Throws unless signed in. The token is not checked here: tokens are opaque to
   * this client, and the server is the judge.
   */
  replaceAccessToken(accessToken: string): void;
  /** Inspector only: records a `scenario` event (a scenario's start or its verdict) in the log. */
  annotate(detail: string): void;
  start(): void;
  stop(): void;
}

type RefreshTrigger = "unauthorized" | "expired" | "proactive" | "restore" | "manual";

type RefreshOutcome =
  | { kind: "refreshed"; accessToken: string }
  | { kind: "adopted"; accessToken: string }
  | { kind: "signed_out"; reason: SignOutReason }
  | { kind: "stale" }
  | { kind: "unavailable"; why: string };

interface Transient {
  kind: "transient";
  why: string;
}

type RefreshAttempt =
  { kind: "ok"; session: SessionSnapshot } | { kind: "rejected"; code: string | null } | Transient;

/**
 * Builds an auth client around injected browser APIs. Every option is optional; in a browser the
 * defaults are the real APIs, in tests you pass fakes.
 *
 * @example
 * const client = createAuthClient({ fetch: fakeFetch, locks: null, channel: null, navigate: vi.fn() });
 * client.start();
 * await client.restoreSession();
 * const response = await client.apiFetch("/api/notes");
 */
export function createAuthClient(options: AuthClientOptions = {}): AuthClient {
  const store = options.store ?? createAuthStore();
  // IMPORTANT: never store `window.fetch` unbound; calling it detached throws "Illegal invocation".
  const fetchFn: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? (() => Date.now());
  const locks = options.locks !== undefined ? options.locks : detectLocks();
  const channel = options.channel !== undefined ? options.channel : openBrowserChannel();
  const lifecycle = options.lifecycle !== undefined ? options.lifecycle : createBrowserLifecycle();
  const navigate = options.navigate ?? ((url: string) => window.location.assign(url));
  const getCurrentPath =
    options.getCurrentPath ?? (() => window.location.pathname + window.location.search);
  const setTimer = options.setTimeout ?? ((callback, ms) => globalThis.setTimeout(callback, ms));
  const clearTimer =
    options.clearTimeout ??
    ((handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>));

  let inFlightRefresh: Promise<string | null> | null = null;
  let proactiveTimer: unknown = null;
  let unsubscribeLifecycle: (() => void) | null = null;
  let started = false;

  const record = (type: AuthEventType, detail?: string) =>
    recordAuthEvent(store, now(), type, detail);
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimer(resolve, ms));
  const isTokenUsable = (state: AuthState): state is AuthState & { accessToken: string } =>
    state.accessToken !== null &&
    state.accessTokenExpiresAt !== null &&
    state.accessTokenExpiresAt - now() > TOKEN_EXPIRY_MARGIN_MS;

  // ---- Requests ---------------------------------------------------------------------------

  async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
    // IMPORTANT: the bearer token must never be sent to another origin.
    if (!isSameOriginPath(path)) {
      throw new TypeError(`apiFetch only calls this origin, got ${JSON.stringify(path)}`);
    }

    await settlePendingRefresh();
    const sentToken = store.getState().accessToken;
    record("request", `${init.method ?? "GET"} ${path}`);
    const response = await sendWithToken(path, init, sentToken);
    if (response.status !== 401) return response;

    const code = await readErrorCode(response);
    record("unauthorized", `${path}: ${code ?? "no code"}`);
    // A signed-out tab does not refresh: that is how a failed refresh avoids becoming a loop.
    if (
      code === null ||
      !REFRESHABLE_401_CODES.has(code) ||
      store.getState().status === "signed_out"
    ) {
      return response;
    }
    const freshToken = await obtainTokenReplacing(sentToken);
    if (freshToken === null) return response;
    record("retry", path);
    // IMPORTANT: the retry re-sends `init.body`. A ReadableStream body is consumed by the first
    // send; pass strings, FormData, Blobs or URLSearchParams to apiFetch.
    const retried = await sendWithToken(path, init, freshToken);
    record("retry_result", `${path}: ${retried.status}`);
    return retried;
  }

  async function apiJson<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await apiFetch(path, init);
    if (!response.ok) throw await readApiError(response);
    if (response.status === 204) return undefined as T;
    // IMPORTANT: `T` is a promise, not a check; validate with zod where the shape matters.
    return (await response.json()) as T;
  }

  function sendWithToken(path: string, init: RequestInit, token: string | null): Promise<Response> {
    const headers = new Headers(init.headers);
    if (token !== null) headers.set("Authorization", `Bearer ${token}`);
    return fetchFn(path, { ...init, headers });
  }

  /** Don't send a request we know will 401: wait for a refresh already under way, or start one. */
  async function settlePendingRefresh(): Promise<void> {
    if (inFlightRefresh) {
      await inFlightRefresh;
      return;
    }
    const state = store.getState();
    if (state.status === "authenticated" && !isTokenUsable(state)) await refreshWith("expired");
  }

  /** After `failedToken` got a 401: reuse a token someone obtained meanwhile, else refresh. */
  function obtainTokenReplacing(failedToken: string | null): Promise<string | null> {
    const state = store.getState();
    if (state.accessToken !== failedToken && isTokenUsable(state)) {
      record("token_adopted", "another request refreshed first");
      return Promise.resolve(state.accessToken);
    }
    return refreshWith("unauthorized");
  }

  // ---- Refresh ----------------------------------------------------------------------------

  /** In-tab single-flight: every caller during a refresh gets the same promise. */
  function refreshWith(trigger: RefreshTrigger): Promise<string | null> {
    inFlightRefresh ??= runRefresh(trigger).finally(() => {
      inFlightRefresh = null;
    });
    return inFlightRefresh;
  }

  async function runRefresh(trigger: RefreshTrigger): Promise<string | null> {
    const { epoch, accessToken: tokenAtStart } = store.getState();
    record("refresh_start", trigger);
    let outcome: RefreshOutcome;
    try {
      outcome = await withRefreshLock(() => refreshHoldingLock(epoch, tokenAtStart));
    } catch (error) {
      outcome = { kind: "unavailable", why: describeError(error) };
    }
    record("refresh_end", describeOutcome(outcome));

    switch (outcome.kind) {
      case "refreshed":
      case "adopted":
        return outcome.accessToken;
      case "signed_out":
        // A page load whose cookie is missing or dead is a visitor, not a sign-out in progress:
        // the page decides. Public pages (/, /login, /register) keep the visitor, with whatever
        // they typed; protected pages send them to the login page (RequireSession).
        if (trigger !== "restore") {
          navigate(buildLoginUrl({ reason: outcome.reason, next: getCurrentPath() }));
        }
        return null;
      case "stale": {
        record("stale_result_ignored", `started in epoch ${epoch}, now ${store.getState().epoch}`);
        // Logged out meanwhile -> null. Logged in again meanwhile -> that session's token.
        const state = store.getState();
        return state.status === "authenticated" ? state.accessToken : null;
      }
      case "unavailable":
        return null;
    }
  }

  async function refreshHoldingLock(
    epochAtStart: number,
    tokenAtStart: string | null,
  ): Promise<RefreshOutcome> {
    const state = store.getState();
    if (
      state.status === "authenticated" &&
      state.accessToken !== tokenAtStart &&
      isTokenUsable(state)
    ) {
      record("token_adopted", "another tab refreshed while we waited for the lock");
      return { kind: "adopted", accessToken: state.accessToken };
    }
    if (state.epoch !== epochAtStart) return { kind: "stale" };

    const isCurrent = () => store.getState().epoch === epochAtStart;
    // Retrying after a network error is safe even if the server did rotate and only the answer was
    // lost: it accepts the just-replaced refresh token for a short grace window.
    const attempt = await withBackoff("refresh", postRefresh, isCurrent);
    if (!isCurrent()) return { kind: "stale" };

    switch (attempt.kind) {
      case "ok":
        updateSession(store, attempt.session, epochAtStart);
        record("rotation", `new token ${fingerprint(attempt.session.accessToken)}`);
        broadcast({ type: "session", session: attempt.session });
        scheduleProactiveRefresh();
        return { kind: "refreshed", accessToken: attempt.session.accessToken };
      case "rejected": {
        const reason = toRejectionReason(attempt.code);
        if (reason === "refresh_token_reused") {
          record("reuse_detected", "the server saw this refresh token spent twice");
        }
        signOutLocally(reason);
        // A missing cookie is not news to other tabs (they share the cookie jar), and a tab that is
        // logging in right now would wrongly take it as "signed out".
        if (reason !== "refresh_token_missing") broadcast({ type: "signed_out", reason });
        return { kind: "signed_out", reason };
      }
      case "transient":
        return { kind: "unavailable", why: attempt.why };
    }
  }

  async function postRefresh(): Promise<RefreshAttempt> {
    const sentAt = now();
    let response: Response;
    try {
      response = await fetchFn(REFRESH_PATH, { method: "POST", credentials: "same-origin" });
    } catch (error) {
      return { kind: "transient", why: `network error: ${describeError(error)}` };
    }
    if (response.ok) {
      const session = readSessionResponse(await response.json().catch(() => null), sentAt);
      return session
        ? { kind: "ok", session }
        : { kind: "transient", why: "malformed refresh response" };
    }
    if (isTransientStatus(response.status)) {
      return { kind: "transient", why: `HTTP ${response.status}` };
    }
    return { kind: "rejected", code: await readErrorCode(response) };
  }

  async function withRefreshLock(work: () => Promise<RefreshOutcome>): Promise<RefreshOutcome> {
    if (!locks) return work();
    const controller = new AbortController();
    const requestedAt = now();
    let acquired = false;
    const timeout = setTimer(() => controller.abort(), LOCK_ACQUIRE_TIMEOUT_MS);
    try {
      return await locks.request(REFRESH_LOCK_NAME, { signal: controller.signal }, () => {
        acquired = true;
        clearTimer(timeout);
        record("lock_acquired", `after ${now() - requestedAt} ms`);
        return work();
      });
    } catch (error) {
      if (acquired) throw error;
      if (controller.signal.aborted) {
        record("lock_timeout", `no lock after ${LOCK_ACQUIRE_TIMEOUT_MS} ms; keeping the session`);
        return { kind: "unavailable", why: "another tab held the refresh lock too long" };
      }
      // A LockManager that refuses outright (some embedded webviews) is treated as absent.
      return work();
    } finally {
      clearTimer(timeout);
    }
  }

  /** Runs `attempt` until it gives a non-transient answer, the delays run out, or `shouldGoOn` says stop. */
  async function withBackoff<T extends { kind: string }>(
    label: string,
    attempt: () => Promise<T | Transient>,
    shouldGoOn: () => boolean,
  ): Promise<T | Transient> {
    for (let index = 0; ; index++) {
      const result = await attempt();
      const delayMs = RETRY_DELAYS_MS[index];
      if (!isTransient(result) || delayMs === undefined || !shouldGoOn()) return result;
      record("attempt_failed", `${label}: ${result.why}; retrying in ${delayMs} ms`);
      await sleep(delayMs);
      if (!shouldGoOn()) return result;
    }
  }

  // ---- Proactive refresh ------------------------------------------------------------------

  function scheduleProactiveRefresh(): void {
    cancelProactiveRefresh();
    const state = store.getState();
    if (!started || state.status !== "authenticated") return;
    if (state.accessTokenIssuedAt === null || state.accessTokenExpiresAt === null) return;
    const dueAt = computeProactiveRefreshAt(state.accessTokenIssuedAt, state.accessTokenExpiresAt);
    proactiveTimer = setTimer(checkSession, Math.max(0, dueAt - now()));
  }

  function cancelProactiveRefresh(): void {
    if (proactiveTimer !== null) clearTimer(proactiveTimer);
    proactiveTimer = null;
  }

  /** Timer tick and wake-up handler: refresh if due, otherwise re-arm the timer from `now()`. */
  function checkSession(): void {
    cancelProactiveRefresh();
    const state = store.getState();
    if (!started || state.status !== "authenticated") return;
    if (state.accessTokenIssuedAt === null || state.accessTokenExpiresAt === null) return;
    // Hidden tabs wait: the `visibilitychange` that shows the tab again calls us, and a request
    // made meanwhile still refreshes on its 401.
    if (lifecycle && !lifecycle.isVisible()) return;
    if (now() < computeProactiveRefreshAt(state.accessTokenIssuedAt, state.accessTokenExpiresAt)) {
      scheduleProactiveRefresh();
      return;
    }
    record(
      "proactive_refresh",
      `token expires in ${Math.round((state.accessTokenExpiresAt - now()) / 1000)} s`,
    );
    // Success re-arms the timer (see `refreshHoldingLock`); failure waits for a wake-up or a 401.
    void refreshWith("proactive");
  }

  // ---- Session changes and tabs -----------------------------------------------------------

  function restoreSession(options: RestoreOptions = {}): Promise<AuthStatus> {
    const { status } = store.getState();
    if (status !== "unknown") return Promise.resolve(status);
    // No session hint cookie: this browser has no refresh cookie either (the server sets and
    // clears both together), so asking would only earn a 401 in the console.
    if (options.sessionHint === false) {
      signOutLocally("refresh_token_missing");
      return Promise.resolve("signed_out");
    }
    // Single-flighted through `refreshWith`: concurrent callers (React strict mode runs effects
    // twice) share one POST. Resolves "unknown" when the server could not be reached.
    return refreshWith("restore").then(() => store.getState().status);
  }

  async function postCredentials(
    path: string,
    body: Credentials | Registration,
  ): Promise<AuthUser> {
    const sentAt = now();
    const response = await fetchFn(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw await readApiError(response);
    const session = readSessionResponse(await response.json().catch(() => null), sentAt);
    if (!session) {
      throw new ApiError({
        status: response.status,
        code: "malformed_response",
        message: "Unexpected server answer.",
      });
    }
    startSession(store, session);
    record("login", session.user.email);
    broadcast({ type: "session", session });
    scheduleProactiveRefresh();
    return session.user;
  }

  async function changePassword(change: PasswordChange): Promise<{ revokedSessions: number }> {
    await settlePendingRefresh();
    const { epoch } = store.getState();
    const init: RequestInit = {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(change),
    };
    // IMPORTANT: sent while holding the refresh lock. The change revokes the session whose cookie
    // every tab shares; a refresh sent meanwhile with that cookie would meet a revoked session
    // and sign all tabs out. After the answer the cookie already names the new session.
    const send = async (): Promise<{
      response: Response;
      sentAt: number;
      token: string | null;
    }> => {
      const token = store.getState().accessToken;
      const work = async () => ({
        response: await sendWithToken(PASSWORD_API_PATH, init, token),
        sentAt: now(),
        token,
      });
      return locks ? locks.request(REFRESH_LOCK_NAME, {}, work) : work();
    };
    let { response, sentAt, token } = await send();
    if (response.status === 401) {
      const code = await readErrorCode(response);
      // Outside the lock: the refresh takes it itself.
      if (code !== null && (REFRESHABLE_401_CODES.has(code) || code === "session_revoked")) {
        if ((await obtainTokenReplacing(token)) !== null)
          ({ response, sentAt, token } = await send());
      }
    }
    if (!response.ok) throw await readApiError(response);
    const body: unknown = await response.json().catch(() => null);
    const session = readSessionResponse(body, sentAt);
    if (!session || !isRecord(body) || typeof body.revokedSessions !== "number") {
      throw new ApiError({
        status: response.status,
        code: "malformed_response",
        message: "Unexpected server answer.",
      });
    }
    if (updateSession(store, session, epoch)) {
      record("rotation", `password changed; new session ${fingerprint(session.accessToken)}`);
      broadcast({ type: "session", session });
      scheduleProactiveRefresh();
    }
    return { revokedSessions: body.revokedSessions };
  }

  async function logout(): Promise<void> {
    const token = store.getState().accessToken;
    record("logout");
    // Local first: the epoch bump makes any refresh still on the wire land as "stale".
    signOutLocally("logged_out");
    broadcast({ type: "signed_out", reason: "logged_out" });
    // IMPORTANT: until this request reaches the server, the refresh cookie is still valid and a
    // reload would sign the user back in; hence the retries.
    const postLogout = async (): Promise<{ kind: "done" } | Transient> => {
      try {
        const response = await fetchFn(LOGOUT_API_PATH, {
          method: "POST",
          credentials: "same-origin",
          headers: token === null ? {} : { Authorization: `Bearer ${token}` },
        });
        return isTransientStatus(response.status)
          ? { kind: "transient", why: `HTTP ${response.status}` }
          : { kind: "done" };
      } catch (error) {
        return { kind: "transient", why: `network error: ${describeError(error)}` };
      }
    };
    await withBackoff("logout", postLogout, () => true);
    navigate(buildLoginUrl({ reason: "logged_out" }));
  }

  function signOutLocally(reason: SignOutReason): void {
    endSession(store, reason);
    cancelProactiveRefresh();
    record("signed_out", reason);
  }

  function broadcast(message: AuthBroadcast): void {
    if (!channel) return;
    try {
      channel.postMessage(message);
      record("broadcast_sent", describeBroadcast(message));
    } catch (error) {
      record("broadcast_sent", `failed: ${describeError(error)}`);
    }
  }

  function receiveBroadcast(event: { data: unknown }): void {
    const message = readBroadcast(event.data);
    if (!message) return;
    record("broadcast_received", describeBroadcast(message));
    const state = store.getState();

    if (message.type === "session") {
      const { session } = message;
      if (state.status === "authenticated" && state.user?.id === session.user.id) {
        // Same session, rotated by another tab. Messages can arrive out of order, so never trade
        // for a token that dies sooner; equal expiry is a tie (same millisecond), not "older".
        if (session.accessToken === state.accessToken) return;
        if ((state.accessTokenExpiresAt ?? 0) > session.expiresAt) return;
        updateSession(store, session, state.epoch);
      } else {
        startSession(store, session);
      }
      record("token_adopted", `from another tab: ${fingerprint(session.accessToken)}`);
      scheduleProactiveRefresh();
      return;
    }

    // Already signed out: keep the reason we have. Still "unknown" (restoring): end it, so the
    // epoch bump drops the restore's result.
    if (state.status === "signed_out") return;
    const reason: SignOutReason =
      message.reason === "logged_out" ? "logged_out_elsewhere" : message.reason;
    signOutLocally(reason);
    if (state.status === "authenticated") {
      navigate(buildLoginUrl({ reason, next: getCurrentPath() }));
    }
  }

  function replaceAccessToken(accessToken: string): void {
    const state = store.getState();
    if (state.status !== "authenticated" || !state.user || state.accessTokenExpiresAt === null) {
      throw new Error("replaceAccessToken needs a signed-in session.");
    }
    if (accessToken === "") throw new TypeError("replaceAccessToken needs a token.");
    // Same identity, so the epoch stays: a refresh already on the wire still applies, and its
    // fresh token then simply replaces this one.
    store.setState({ accessToken });
    record("token_replaced", `now holding ${fingerprint(accessToken)}`);
  }

  function start(): void {
    if (started) return;
    started = true;
    channel?.addEventListener("message", receiveBroadcast);
    unsubscribeLifecycle = lifecycle?.subscribe(checkSession) ?? null;
    scheduleProactiveRefresh();
  }

  function stop(): void {
    started = false;
    channel?.removeEventListener("message", receiveBroadcast);
    unsubscribeLifecycle?.();
    unsubscribeLifecycle = null;
    cancelProactiveRefresh();
  }

  return {
    store,
    apiFetch,
    apiJson,
    refresh: () => refreshWith("manual"),
    restoreSession,
    login: (credentials) => postCredentials(LOGIN_API_PATH, credentials),
    register: (registration) => postCredentials(REGISTER_API_PATH, registration),
    logout,
    changePassword,
    replaceAccessToken,
    annotate: (detail) => record("scenario", detail),
    start,
    stop,
  };
}

/**
 * When to refresh a token proactively, in local ms: `PROACTIVE_REFRESH_LEAD_MS` before expiry,
 * but no earlier than half its lifetime nor `MIN_PROACTIVE_REFRESH_DELAY_MS` after issue.
 *
 * @example
 * computeProactiveRefreshAt(0, 900_000); // 870_000 (15-minute token: 30 s before expiry)
 * computeProactiveRefreshAt(0, 20_000);  // 10_000  (20-second demo token: halfway)
 */
export function computeProactiveRefreshAt(issuedAt: number, expiresAt: number): number {
  const leadMs = Math.min(PROACTIVE_REFRESH_LEAD_MS, (expiresAt - issuedAt) / 2);
  return Math.max(expiresAt - leadMs, issuedAt + MIN_PROACTIVE_REFRESH_DELAY_MS);
}

// ---- The browser instance -----------------------------------------------------------------

let browserClient: AuthClient | null = null;

/**
 * The app's one client, created (and started) on first use. Module load touches no browser API,
 * so "use client" components may import this freely; call it from effects and event handlers.
 *
 * @example
 * useEffect(() => {
 *   void getAuthClient().restoreSession();
 * }, []);
 */
export function getAuthClient(): AuthClient {
  if (typeof window === "undefined") {
    throw new Error(
      "getAuthClient() is browser-only: call it from an effect or event handler, not while rendering on the server.",
    );
  }
  if (!browserClient) {
    browserClient = createAuthClient({ store: authStore });
    browserClient.start();
  }
  return browserClient;
}

/**
 * `fetch` for protected routes of this origin, through the app's client (see `createAuthClient`).
 *
 * @example
 * const response = await apiFetch("/api/notes", { method: "POST", body: JSON.stringify(note) });
 */
export function apiFetch(path: string, init?: RequestInit): Promise<Response> {
  return getAuthClient().apiFetch(path, init);
}

/**
 * `apiFetch` + JSON: resolves the parsed body (`undefined` for 204), throws `ApiError` on non-2xx.
 *
 * @example
 * const { notes } = await apiJson<{ notes: Note[] }>("/api/notes");
 */
export function apiJson<T>(path: string, init?: RequestInit): Promise<T> {
  return getAuthClient().apiJson<T>(path, init);
}

// ---- Helpers ------------------------------------------------------------------------------

function detectLocks(): LockManagerLike | null {
  return typeof navigator !== "undefined" && navigator.locks ? navigator.locks : null;
}

function openBrowserChannel(): BroadcastChannelLike | null {
  return typeof window !== "undefined" && typeof BroadcastChannel === "function"
    ? new BroadcastChannel(AUTH_CHANNEL_NAME)
    : null;
}

function createBrowserLifecycle(): PageLifecycle | null {
  if (typeof window === "undefined" || typeof document === "undefined") return null;
  return {
    isVisible: () => document.visibilityState === "visible",
    subscribe(onWake) {
      const onVisibilityChange = () => {
        if (document.visibilityState === "visible") onWake();
      };
      document.addEventListener("visibilitychange", onVisibilityChange);
      window.addEventListener("focus", onWake);
      window.addEventListener("online", onWake);
      return () => {
        document.removeEventListener("visibilitychange", onVisibilityChange);
        window.removeEventListener("focus", onWake);
        window.removeEventListener("online", onWake);
      };
    },
  };
}

function isTransient(result: { kind: string }): result is Transient {
  return result.kind === "transient";
}

function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function toRejectionReason(code: string | null): SignOutReason {
  return code !== null && REFRESH_REJECTION_REASONS.has(code)
    ? (code as SignOutReason)
    : "refresh_token_invalid";
}

/**
 * Reads the login/register/refresh body. The expiry is anchored to `sentAt`, our own clock at
 * the moment we asked: the token cannot have been issued earlier, so this errs on the safe side,
 * and it never compares our clock with the server's absolute `accessTokenExpiresAt`.
 */
function readSessionResponse(body: unknown, sentAt: number): SessionSnapshot | null {
  if (!isRecord(body)) return null;
  const user = readUser(body.user);
  const { accessToken, accessTokenExpiresIn } = body;
  if (!user || typeof accessToken !== "string" || accessToken === "") return null;
  if (
    typeof accessTokenExpiresIn !== "number" ||
    !Number.isFinite(accessTokenExpiresIn) ||
    accessTokenExpiresIn < 0
  ) {
    return null;
  }
  return { user, accessToken, issuedAt: sentAt, expiresAt: sentAt + accessTokenExpiresIn * 1000 };
}

function readUser(raw: unknown): AuthUser | null {
  if (!isRecord(raw)) return null;
  const { id, email, name, createdAt } = raw;
  if (typeof id !== "string" || typeof email !== "string" || typeof createdAt !== "string") {
    return null;
  }
  return { id, email, name: typeof name === "string" ? name : null, createdAt };
}

/** Messages come from same-origin tabs, possibly running an older build: check the shape anyway. */
function readBroadcast(data: unknown): AuthBroadcast | null {
  if (!isRecord(data)) return null;
  if (data.type === "signed_out") {
    const { reason } = data;
    return typeof reason === "string" &&
      (REFRESH_REJECTION_REASONS.has(reason) || reason === "logged_out")
      ? { type: "signed_out", reason: reason as SignOutReason }
      : null;
  }
  if (data.type !== "session" || !isRecord(data.session)) return null;
  const user = readUser(data.session.user);
  const { accessToken, issuedAt, expiresAt } = data.session;
  if (
    !user ||
    typeof accessToken !== "string" ||
    typeof issuedAt !== "number" ||
    typeof expiresAt !== "number"
  ) {
    return null;
  }
  return { type: "session", session: { user, accessToken, issuedAt, expiresAt } };
}

function describeOutcome(outcome: RefreshOutcome): string {
  switch (outcome.kind) {
    case "refreshed":
      return "refreshed";
    case "adopted":
      return "adopted a token obtained elsewhere";
    case "signed_out":
      return `signed out: ${outcome.reason}`;
    case "stale":
      return "stale: the session changed while refreshing; result ignored";
    case "unavailable":
      return `gave up for now (${outcome.why}); session kept`;
  }
}

function describeBroadcast(message: AuthBroadcast): string {
  return message.type === "session"
    ? `session ${fingerprint(message.session.accessToken)}`
    : `signed out: ${message.reason}`;
}

/** Enough of a token to tell two apart in the inspector without displaying it whole. */
function fingerprint(token: string): string {
  return `…${token.slice(-6)}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
