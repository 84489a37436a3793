/**
 * Reads the 401 → refresh → retry story out of the fetch wrapper's event log (auth-events.ts), for
 * the dashboard's "Expire my access token now" card. Pure: it only reads events' data.
 */
import { type AuthEvent, isEventOf } from "./auth-events";

/**
 * What the wrapper's event log says happened to the first protected call after the swap:
 * its 401, the refresh it set off, and the retry's status. `null` until the retry has answered.
 */
export type RefreshPathObservation = {
  path: string;
  /** The 401's code, or null when it had none. */
  code: string | null;
  refreshes: number;
  refreshed: boolean;
  /** 0 when there was no retry (the refresh failed). */
  retryStatus: number;
};

/**
 * Reads the first 401 → refresh → retry story out of events (oldest first); `null` while the
 * retry has not answered yet. Pure, so the card and its unit test share it.
 *
 * @example
 * observeRefreshPath(events); // { path: "/api/notes", code: ERROR_CODE.tokenExpired, refreshes: 1, refreshed: true, retryStatus: 200 }
 */
export function observeRefreshPath(events: readonly AuthEvent[]): RefreshPathObservation | null {
  const unauthorized = events.find(isEventOf("unauthorized"));
  if (!unauthorized) return null;
  const { path, code } = unauthorized;
  const after = events.filter((e) => e.seq > unauthorized.seq);
  const result = after.filter(isEventOf("retry_result")).find((e) => e.path === path);
  const refreshEnds = after.filter(isEventOf("refresh_end"));
  if (!result) {
    // A refresh that failed ends the story without a retry.
    if (!refreshEnds.some((e) => e.outcome !== "refreshed")) return null;
    return { path, code, refreshes: refreshEnds.length, refreshed: false, retryStatus: 0 };
  }
  const beforeResult = after.filter((e) => e.seq < result.seq);
  return {
    path,
    code,
    refreshes: beforeResult.filter(isEventOf("refresh_start")).length,
    refreshed: beforeResult.filter(isEventOf("refresh_end")).some((e) => e.outcome === "refreshed"),
    retryStatus: result.status,
  };
}
