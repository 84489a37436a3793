/**
 * Reads the 401 → refresh → retry story out of the fetch wrapper's event log (auth-store.ts), for
 * the dashboard's "Expire my access token now" card. Pure: it only reads events.
 */
import type { AuthEvent } from "./auth-store";

/**
 * What the wrapper's event log says happened to the first protected call after the swap:
 * its 401, the refresh it set off, and the retry's status. `null` until the retry has answered.
 */
export type RefreshPathObservation = {
  path: string;
  code: string;
  refreshes: number;
  refreshed: boolean;
  retryStatus: number;
};

/**
 * Reads the first 401 → refresh → retry story out of events (oldest first); `null` while the
 * retry has not answered yet. Pure, so the card and its unit test share it.
 *
 * @example
 * observeRefreshPath(events); // { path: "/api/notes", code: "token_expired", refreshes: 1, refreshed: true, retryStatus: 200 }
 */
export function observeRefreshPath(events: readonly AuthEvent[]): RefreshPathObservation | null {
  const unauthorized = events.find((e) => e.type === "unauthorized");
  if (!unauthorized?.detail) return null;
  const [path = "", code = "no code"] = unauthorized.detail.split(": ");
  const after = events.filter((e) => e.seq > unauthorized.seq);
  const result = after.find((e) => e.type === "retry_result" && e.detail?.startsWith(`${path}:`));
  const refreshEnds = after.filter((e) => e.type === "refresh_end");
  if (!result) {
    // A refresh that failed ends the story without a retry.
    const failed = refreshEnds.find((e) => e.detail !== "refreshed");
    if (!failed) return null;
    return { path, code, refreshes: refreshEnds.length, refreshed: false, retryStatus: 0 };
  }
  const beforeResult = after.filter((e) => e.seq < result.seq);
  return {
    path,
    code,
    refreshes: beforeResult.filter((e) => e.type === "refresh_start").length,
    refreshed: beforeResult.some((e) => e.type === "refresh_end" && e.detail === "refreshed"),
    retryStatus: Number(result.detail?.split(": ")[1] ?? 0),
  };
}
