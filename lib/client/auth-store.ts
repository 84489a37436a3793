/**
 * The browser's memory of the session: a zustand store that only `auth-client.ts` writes.
 *
 * States: `unknown` (page just loaded, `restoreSession()` not answered yet) -> `authenticated`
 * (we hold an access token) -> `signed_out` (with a `signOutReason`). A signed-out tab becomes
 * authenticated again only through a login, here or in another tab.
 *
 * IMPORTANT: everything here lives in memory only. Never persist the access token to
 * localStorage, sessionStorage or a readable cookie: any script injected into the page could read
 * it from there, long after this tab is closed. A reload starts at `unknown` and asks the server
 * (with the httpOnly refresh cookie) for a new access token.
 *
 * The race this module guards: a refresh that was already on the wire when the user logged out
 * comes back with a valid token. Applying it would silently sign the user back in. So every change
 * of session identity (login, logout, forced sign-out) bumps `epoch`, and a refresh result is
 * applied only if the epoch it started under is still current (`updateSession`).
 */
import { createStore, type StoreApi } from "zustand/vanilla";
import { useStore } from "zustand";

import type { SignOutReason } from "./redirect";

export type AuthStatus = "unknown" | "authenticated" | "signed_out";

export interface AuthUser {
  id: string;
  email: string;
  name: string | null;
  createdAt: string;
}

/** What the inspector page and the tests read to follow the protocol step by step. */
export type AuthEventType =
  | "request" // apiFetch sent a request
  | "unauthorized" // ...and got a 401 (detail: its code)
  | "retry" // ...and is re-sending it once with a new token
  | "retry_result" // ...and the retry got this status (detail: "<path>: <status>")
  | "refresh_start" // detail: what triggered it (unauthorized, proactive, restore, ...)
  | "attempt_failed" // a refresh or logout hit a network error or 5xx; a backoff retry follows
  | "refresh_end" // detail: how it ended
  | "rotation" // the server answered with a new access token (and rotated the cookie)
  | "token_adopted" // used a token another request or tab just obtained instead of refreshing
  | "stale_result_ignored" // a refresh finished after logout/login: dropped
  | "lock_acquired" // detail: how long we waited for the cross-tab lock
  | "lock_timeout"
  | "reuse_detected" // the server saw a refresh token spent twice and ended the session family
  | "signed_out" // detail: the reason
  | "login"
  | "logout"
  | "broadcast_sent"
  | "broadcast_received"
  | "proactive_refresh" // the token is about to expire while the tab is visible
  | "token_replaced" // the inspector swapped in another token of this session (see replaceAccessToken)
  | "scenario"; // the inspector's marker: a scenario started, or its verdict (detail)

export interface AuthEvent {
  seq: number;
  /** Local wall-clock ms (from the client's injected `now`). Jumps when the clock is changed. */
  at: number;
  /**
   * Monotonic ms since this page loaded (`performance.now()`), where available: unlike `at`, it
   * never runs backwards when the wall clock is set back, so the timeline measures with it.
   */
  elapsed?: number;
  type: AuthEventType;
  detail?: string;
}

export interface AuthState {
  status: AuthStatus;
  user: AuthUser | null;
  accessToken: string | null;
  /**
   * Both in local ms, measured on this machine's clock: we sent the request at `issuedAt` and the
   * server said the token lives `accessTokenExpiresIn` seconds. The server's absolute
   * `accessTokenExpiresAt` is deliberately ignored: a laptop clock that is minutes off would
   * turn it into a token that looks expired at birth, or immortal.
   */
  accessTokenIssuedAt: number | null;
  accessTokenExpiresAt: number | null;
  signOutReason: SignOutReason | null;
  /** Session generation: bumped by every login and sign-out, never by a refresh. */
  epoch: number;
  /** Newest last, at most `MAX_AUTH_EVENTS`. */
  events: AuthEvent[];
}

export type AuthStore = StoreApi<AuthState>;

/** A session as the client applies it (times already converted to local ms). */
export interface SessionSnapshot {
  user: AuthUser;
  accessToken: string;
  issuedAt: number;
  expiresAt: number;
}

export const MAX_AUTH_EVENTS = 200;

/**
 * A fresh store in the `unknown` state. The app uses the shared `authStore`; tests make their own.
 *
 * @example
 * const store = createAuthStore();
 * store.getState().status; // "unknown"
 */
export function createAuthStore(): AuthStore {
  return createStore<AuthState>()(() => ({
    status: "unknown",
    user: null,
    accessToken: null,
    accessTokenIssuedAt: null,
    accessTokenExpiresAt: null,
    signOutReason: null,
    epoch: 0,
    events: [],
  }));
}

/** The app-wide store. Creating it touches no browser API, so importing this module is SSR-safe. */
export const authStore: AuthStore = createAuthStore();

/**
 * React hook over the app-wide store.
 *
 * IMPORTANT: return a primitive or an existing object from the selector. A selector that builds a
 * new object on every call (`(s) => ({ a: s.a, b: s.b })`) makes React re-render forever; call the
 * hook twice instead, or wrap the selector with `useShallow` from `zustand/shallow`.
 *
 * @example
 * const status = useAuthStore((s) => s.status);
 * const user = useAuthStore((s) => s.user);
 */
export function useAuthStore<T>(selector: (state: AuthState) => T): T {
  return useStore(authStore, selector);
}

/**
 * A new session identity (login here or in another tab): sets the token and bumps the epoch so any
 * refresh still in flight for the previous identity is ignored when it lands.
 *
 * @example
 * startSession(store, { user, accessToken, issuedAt: sentAt, expiresAt: sentAt + 900_000 });
 */
export function startSession(store: AuthStore, session: SessionSnapshot): void {
  store.setState((state) => ({ ...toSessionFields(session), epoch: state.epoch + 1 }));
}

/**
 * Same session, new access token (a refresh). Applied only if the session generation is still
 * `expectedEpoch`; returns whether it was applied.
 *
 * @example
 * const epoch = store.getState().epoch;
 * const session = await callRefreshEndpoint();
 * if (!updateSession(store, session, epoch)) console.log("logged out meanwhile; dropped");
 */
export function updateSession(
  store: AuthStore,
  session: SessionSnapshot,
  expectedEpoch: number,
): boolean {
  if (store.getState().epoch !== expectedEpoch) return false;
  store.setState(toSessionFields(session));
  return true;
}

/**
 * Forgets the token and user, records why, and bumps the epoch (see the module comment).
 *
 * @example
 * endSession(store, "session_revoked");
 */
export function endSession(store: AuthStore, reason: SignOutReason): void {
  store.setState((state) => ({
    status: "signed_out",
    user: null,
    accessToken: null,
    accessTokenIssuedAt: null,
    accessTokenExpiresAt: null,
    signOutReason: reason,
    epoch: state.epoch + 1,
  }));
}

/**
 * Appends to the bounded event log, dropping the oldest entries beyond `MAX_AUTH_EVENTS`.
 *
 * @example
 * recordAuthEvent(store, Date.now(), "refresh_start", "proactive");
 */
export function recordAuthEvent(
  store: AuthStore,
  at: number,
  type: AuthEventType,
  detail?: string,
): void {
  store.setState((state) => {
    const seq = (state.events.at(-1)?.seq ?? 0) + 1;
    const elapsed = typeof performance === "undefined" ? undefined : performance.now();
    const event: AuthEvent = { seq, at, type };
    if (elapsed !== undefined) event.elapsed = elapsed;
    if (detail !== undefined) event.detail = detail;
    return { events: [...state.events.slice(-(MAX_AUTH_EVENTS - 1)), event] };
  });
}

function toSessionFields(session: SessionSnapshot): Partial<AuthState> {
  return {
    status: "authenticated",
    user: session.user,
    accessToken: session.accessToken,
    accessTokenIssuedAt: session.issuedAt,
    accessTokenExpiresAt: session.expiresAt,
    signOutReason: null,
  };
}
