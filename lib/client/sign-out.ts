/**
 * Ending a session in this tab, and the one place that leaves the page because of it.
 *
 * Ending (`end`) and leaving (`leave`) are separate on purpose. The session ends at once, so the
 * epoch bump drops any refresh still on the wire; the page is left only when the work that ended
 * it is done (a logout's POST has reached the server, a refused refresh has let go of the lock).
 *
 * Where to, by cause (`signOutDestination`):
 *   logout            /login?reason=<logged out>            (the user asked; no way back needed)
 *   refresh_rejected  /login?reason=<code>&next=<this page> (so signing in again returns here)
 *   other_tab         /login?reason=<reason>&next=<this page>
 *   restore_rejected  nowhere: a page load whose cookie was missing or dead is a visitor, not a
 *                     sign-out in progress. Public pages keep the visitor; protected ones send
 *                     them to the login page themselves (RequireSession).
 */
import { SIGN_OUT_REASON, type SignOutReason } from "@/lib/contract";
import type { AuthEventData } from "./auth-events";
import { type AuthStore, endSession } from "./auth-store";
import { buildLoginUrl } from "./redirect";

export type SignOutCause = "logout" | "refresh_rejected" | "restore_rejected" | "other_tab";

export interface SignOut {
  /** Ends the session in this tab: the store (epoch bump), the log, `onEnded`. Never navigates. */
  end(reason: SignOutReason): void;
  /** Leaves the page for the login page where `cause` calls for it. */
  leave(cause: SignOutCause, reason: SignOutReason): void;
}

export interface SignOutOptions {
  store: AuthStore;
  record(data: AuthEventData): void;
  navigate(url: string): void;
  /** Path + search of the current page, for `next=`. */
  getCurrentPath(): string;
  /** Whatever else stops with the session (the proactive refresh timer). */
  onEnded?(): void;
}

/**
 * Where the page goes after a sign-out, or null to stay.
 *
 * @example
 * signOutDestination("refresh_rejected", SIGN_OUT_REASON.sessionRevoked, "/notes");
 * // "/login?reason=<that reason>&next=%2Fnotes"
 */
export function signOutDestination(
  cause: SignOutCause,
  reason: SignOutReason,
  currentPath: string,
): string | null {
  switch (cause) {
    case "restore_rejected":
      return null;
    case "logout":
      return buildLoginUrl({ reason: SIGN_OUT_REASON.loggedOut });
    case "refresh_rejected":
    case "other_tab":
      return buildLoginUrl({ reason, next: currentPath });
  }
}

/**
 * @example
 * const signOut = createSignOut({ store, record, navigate, getCurrentPath });
 * signOut.end(reason);
 * signOut.leave("refresh_rejected", reason);
 */
export function createSignOut(options: SignOutOptions): SignOut {
  return {
    end(reason) {
      endSession(options.store, reason);
      options.onEnded?.();
      options.record({ type: "signed_out", reason });
    },
    leave(cause, reason) {
      const destination = signOutDestination(cause, reason, options.getCurrentPath());
      if (destination !== null) options.navigate(destination);
    },
  };
}
