/**
 * What the fetch wrapper records, step by step, for the inspector's timeline and the tests: a
 * discriminated union on `type`, each kind with its own data fields. Readers branch on `type` and
 * read fields; nothing parses a sentence (the inspector words each event itself, from its data).
 *
 * Tokens appear only as fingerprints (`fingerprint`): the last six characters, enough to tell two
 * apart, useless to replay.
 */
import type { SignOutReason } from "@/lib/contract";

/** What set a refresh off. */
export type RefreshTrigger = "unauthorized" | "expired" | "proactive" | "restore" | "manual";

/** How a refresh ended; see refresh-coordinator.ts. */
export type RefreshOutcomeKind = "refreshed" | "adopted" | "signed_out" | "stale" | "unavailable";

/** Where a token that this tab did not ask for came from. */
export type TokenSource = "another_request" | "lock_wait" | "other_tab";

export type AuthEventData =
  /** `apiFetch` sent a request. */
  | { type: "request"; method: string; path: string }
  /** ...and got a 401 with this code. */
  | { type: "unauthorized"; path: string; code: string | null }
  /** ...and is re-sending it once with a new token. */
  | { type: "retry"; path: string }
  /** ...and the retry got this status. */
  | { type: "retry_result"; path: string; status: number }
  | { type: "refresh_start"; trigger: RefreshTrigger }
  /** A refresh or logout hit a network error or a 5xx; a backoff retry follows. */
  | { type: "attempt_failed"; operation: "refresh" | "logout"; why: string; retryInMs: number }
  | {
      type: "refresh_end";
      outcome: RefreshOutcomeKind;
      /** `signed_out`: why. */
      reason?: SignOutReason;
      /** `unavailable`: what went wrong. */
      why?: string;
    }
  /** The server answered with a new access token (and rotated the cookie). */
  | { type: "rotation"; cause: "refresh" | "password_change"; token: string }
  /** Used a token another request or tab just obtained instead of refreshing. */
  | { type: "token_adopted"; source: TokenSource; token: string }
  /** A refresh finished after a logout or login: dropped. */
  | { type: "stale_result_ignored"; startedInEpoch: number; currentEpoch: number }
  | { type: "lock_acquired"; waitedMs: number }
  | { type: "lock_timeout"; afterMs: number }
  /** The server saw a refresh token spent twice and ended the session family. */
  | { type: "reuse_detected" }
  | { type: "signed_out"; reason: SignOutReason }
  | { type: "login"; email: string }
  | { type: "logout" }
  | { type: "broadcast_sent"; message: BroadcastSummary; error?: string }
  | { type: "broadcast_received"; message: BroadcastSummary }
  /** The token is about to expire while the tab is visible. */
  | { type: "proactive_refresh"; expiresInMs: number }
  /** A DPoP proof by the device key (device-key.ts) went with a sign-in or refresh. */
  | { type: "dpop_proof"; path: string; jti: string; key: string; nonced: boolean }
  /**
   * `apiFetch` signed a proof for one API request: `Authorization: DPoP`, the proof naming this
   * method, path and access token (`token`, a fingerprint; the proof's `ath` is its hash).
   */
  | {
      type: "request_proof";
      method: string;
      path: string;
      jti: string;
      key: string;
      token: string;
    }
  /**
   * The server asked for its newer nonce (`use_dpop_nonce`) or refused the proof
   * (`invalid_dpop_proof`, e.g. a wrong clock): the refresh is signed again, once.
   */
  | { type: "dpop_nonce_retry" }
  /** Devtools swapped in another token of this session (devtools.ts). */
  | { type: "token_replaced"; token: string }
  /** Devtools' marker: a scenario started, its verdict, or a note along the way. */
  | ScenarioMarkerEvent;

/** A tab-to-tab message, as the log shows it (token as a fingerprint). */
export type BroadcastSummary =
  { kind: "session"; token: string } | { kind: "signed_out"; reason: SignOutReason };

export interface ScenarioMarkerEvent {
  type: "scenario";
  marker: "start" | "verdict" | "note";
  /** The scenario's id (lib/contract `DEV_SCENARIO_IDS`), or null for a note of its own. */
  scenario: string | null;
  /** For people: the button's title, the verdict's summary, the note. */
  text: string;
  /** Verdicts: how it went. */
  tone?: "ok" | "warn" | "error";
  /** Verdicts: the figures the summary was made from. */
  facts?: Record<string, string | number | boolean>;
}

export type AuthEventType = AuthEventData["type"];

export type AuthEvent = AuthEventData & {
  seq: number;
  /** Local wall-clock ms (from the client's injected `now`). Jumps when the clock is changed. */
  at: number;
  /**
   * Monotonic ms since this page loaded (`performance.now()`), where available: unlike `at`, it
   * never runs backwards when the wall clock is set back, so the timeline measures with it.
   */
  elapsed?: number;
};

/** The events of one type, narrowed. */
export type AuthEventOf<T extends AuthEventType> = Extract<AuthEvent, { type: T }>;

/**
 * Narrows an event to one type.
 *
 * @example
 * events.filter(isEventOf("unauthorized")).map((e) => e.code);
 */
export function isEventOf<T extends AuthEventType>(type: T) {
  return (event: AuthEvent): event is AuthEventOf<T> => event.type === type;
}

/**
 * Enough of a token to tell two apart in the log without holding it whole.
 *
 * @example
 * fingerprint("eyJhbGciOi...x9Qk2a"); // "…x9Qk2a"
 */
export function fingerprint(token: string): string {
  return `…${token.slice(-6)}`;
}
