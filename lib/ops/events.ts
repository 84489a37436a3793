import "server-only";

/**
 * The events an operator watches: each is one JSON line in the log (lib/ops/logger.ts) and one
 * count in `auth_events_total{event, outcome}` (lib/ops/metrics.ts). The auth core calls
 * `recordEvent` at each outcome point (a sign-in, a refused refresh, a reuse verdict), after the
 * database has decided, so what is logged is what happened.
 *
 * This is the operator's view of every instance. The user's own view of their account (new
 * sign-ins, a reuse, a password change) is the `auth_events` table (lib/auth/security-events.ts),
 * which stores only the security-relevant kinds; rotations are logged and counted, never stored.
 *
 * What an event may carry: ids (user, session: a session is one refresh-token family), reasons
 * from the contract's closed lists, counts, generations and durations. Never a token, a cookie,
 * a password, a hash, an email address or a user agent: the types below have no field for one.
 *
 * @example
 * recordEvent({ event: "sign_in", outcome: "success", userId, sessionId });
 */
import { getLogger } from "@/lib/ops/logger";
import { countEvent, countPrunedRows } from "@/lib/ops/metrics";

/** Why a presented refresh token was judged REUSED (lib/auth/sessions.ts, the careful path). */
export type ReuseReason =
  /** A token that was already rotated came back, after its grace (if any) had ended. */
  | "spent_token"
  /** An unused branch behind the head: a sibling issued to a parent, after the head moved on. */
  | "stale_sibling";

export type OpsEvent =
  | { event: "sign_in"; outcome: "success"; userId: string; sessionId: string }
  | { event: "sign_in"; outcome: "failure"; reason: "invalid_credentials" }
  | { event: "sign_up"; outcome: "success"; userId: string; sessionId: string }
  | {
      event: "throttled";
      /** Which counter refused: a sign-in's, a registration's or a signed-in password change's. */
      outcome: "login" | "registration" | "password_change";
      retryAfterSeconds: number;
    }
  | {
      event: "refresh";
      outcome: "rotated" | "grace";
      userId: string;
      sessionId: string;
      generation: number;
    }
  | { event: "refresh"; outcome: "refused"; reason: string }
  | {
      event: "reuse_detected";
      outcome: ReuseReason;
      userId: string;
      /** The family that was revoked. */
      sessionId: string;
      tokenGeneration: number;
      headGeneration: number;
    }
  | {
      event: "revoked";
      /** A REVOKE_REASON (lib/contract/session.ts). */
      outcome: string;
      userId: string;
      /** The one session, when one was named; absent for "every session of the user". */
      sessionId?: string;
      sessions: number;
    }
  | {
      event: "password_changed";
      outcome: "success";
      userId: string;
      sessionId: string;
      revokedSessions: number;
    }
  | { event: "password_changed"; outcome: "failure"; userId: string }
  | PruneEvent;

/** A retention prune's run (the prune itself: `npm run db:prune`, lib/db or scripts). */
export type PruneEvent = {
  event: "prune";
  outcome: "success" | "failure";
  /** Rows deleted per table, e.g. `{ sessions: 12, refresh_tokens: 480, auth_events: 3 }`. */
  deleted: Record<string, number>;
  durationMs: number;
};

const WARNINGS = new Set<OpsEvent["event"]>(["reuse_detected", "throttled"]);

/**
 * Logs one event as one line and counts it. Never throws: an event that cannot be written must
 * not turn a sign-in into a 500.
 *
 * @example
 * recordEvent({ event: "refresh", outcome: "refused", reason: error.code });
 */
export function recordEvent(event: OpsEvent): void {
  try {
    countEvent(event.event, event.outcome);
    const logger = getLogger();
    if (WARNINGS.has(event.event) || event.outcome === "failure") logger.warn(event, event.event);
    else logger.info(event, event.event);
  } catch {
    // The log or the registry is broken; the request's own outcome stands.
  }
}

/**
 * What the retention prune calls after each run: one log line and the per-table counters.
 *
 * @example
 * recordPrune({ deleted: { sessions: 12, refresh_tokens: 480 }, durationMs: 35 });
 */
export function recordPrune(
  run: Omit<PruneEvent, "event" | "outcome"> & { failed?: boolean },
): void {
  recordEvent({
    event: "prune",
    outcome: run.failed ? "failure" : "success",
    deleted: run.deleted,
    durationMs: Math.round(run.durationMs),
  });
  if (!run.failed) countPrunedRows(run.deleted);
}
