/**
 * Reads the 401 → refresh → retry story out of the fetch wrapper's event log (auth-events.ts), for
 * the dashboard's "Expire my access token now" card. Pure: it only reads events' data.
 *
 * The story is whatever ran after the token was swapped: the notes' Reload (one request), the
 * "Fire 5 requests" demo (five at once, one refresh for all), or any other protected call. Every
 * request sent before the first refresh ended carried the expired token, so each of them meets
 * the 401; the story is complete once each has met it and each 401 has its retry's answer (or the
 * refresh failed, which ends it without retries).
 */
import { type AuthEvent, isEventOf } from "./auth-events";

/** What the wrapper's event log says happened to the protected calls after the swap. */
export type RefreshPathObservation = {
  /** The path of each request that met the 401, in order (`/api/me` five times for the demo). */
  paths: string[];
  /** The first 401's code, or null when it had none. */
  code: string | null;
  refreshes: number;
  refreshed: boolean;
  /** The retries' statuses, in the order they answered; empty when the refresh failed. */
  retryStatuses: number[];
};

/**
 * Reads the 401 → refresh → retry story out of events (oldest first); `null` while a request
 * sent with the expired token has not met its 401 yet, or a retry has not answered. Pure, so the
 * card and its unit test share it.
 *
 * @example
 * observeRefreshPath(events);
 * // { paths: ["/api/notes"], code: ERROR_CODE.tokenExpired, refreshes: 1, refreshed: true, retryStatuses: [200] }
 */
export function observeRefreshPath(events: readonly AuthEvent[]): RefreshPathObservation | null {
  const first = events.find(isEventOf("unauthorized"));
  if (!first) return null;
  const firstEnd = events.find((e) => e.type === "refresh_end" && e.seq > first.seq);
  if (!firstEnd) return null;
  // Requests wait for a refresh in flight before they are sent (refresh-coordinator `settle`), so
  // exactly those recorded before the first refresh ended went out with the expired token.
  const sentExpired = events.filter((e) => e.type === "request" && e.seq < firstEnd.seq).length;
  const unauthorized = events.filter(isEventOf("unauthorized"));
  if (unauthorized.length < sentExpired) return null;
  const refreshEnds = events.filter(isEventOf("refresh_end"));
  const refreshed = refreshEnds.some((e) => e.outcome === "refreshed");
  const gotToken = refreshEnds.some((e) => e.outcome === "refreshed" || e.outcome === "adopted");
  const retryStatuses = events.filter(isEventOf("retry_result")).map((e) => e.status);
  // A refresh that failed ends the story without a retry; otherwise wait for every retry.
  if (gotToken && retryStatuses.length < unauthorized.length) return null;
  return {
    paths: unauthorized.map((e) => e.path),
    code: first.code,
    refreshes: events.filter(isEventOf("refresh_start")).length,
    refreshed,
    retryStatuses,
  };
}
