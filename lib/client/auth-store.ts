/**
 * The browser's memory of the session: a zustand store that only the fetch wrapper's modules
 * (auth-client.ts and the parts it is built from) write.
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

import type { PublicUser, SignOutReason } from "@/lib/contract";
import type { AuthEvent, AuthEventData } from "./auth-events";

export type { AuthEvent, AuthEventType } from "./auth-events";

export type AuthStatus = "unknown" | "authenticated" | "signed_out";

export type AuthUser = PublicUser;

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
 * endSession(store, SIGN_OUT_REASON.sessionRevoked);
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
 * recordAuthEvent(store, Date.now(), { type: "refresh_start", trigger: "proactive" });
 */
export function recordAuthEvent(store: AuthStore, at: number, data: AuthEventData): void {
  store.setState((state) => {
    const seq = (state.events.at(-1)?.seq ?? 0) + 1;
    const elapsed = typeof performance === "undefined" ? undefined : performance.now();
    const event: AuthEvent = { ...data, seq, at };
    if (elapsed !== undefined) event.elapsed = elapsed;
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
