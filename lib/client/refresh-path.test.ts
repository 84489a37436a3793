import { describe, expect, it } from "vitest";
import type { AuthEvent, AuthEventType } from "./auth-store";
import { observeRefreshPath } from "./refresh-path";

const log = (...entries: Array<[AuthEventType, string?]>): AuthEvent[] =>
  entries.map(([type, detail], index) => ({ seq: index + 1, at: index, type, detail }));

describe("observeRefreshPath", () => {
  it("reads one 401, one refresh and the retry's status", () => {
    const events = log(
      ["request", "GET /api/notes"],
      ["unauthorized", "/api/notes: token_expired"],
      ["refresh_start", "unauthorized"],
      ["rotation", "new token …abcdef"],
      ["refresh_end", "refreshed"],
      ["retry", "/api/notes"],
      ["retry_result", "/api/notes: 200"],
    );
    expect(observeRefreshPath(events)).toEqual({
      path: "/api/notes",
      code: "token_expired",
      refreshes: 1,
      refreshed: true,
      retryStatus: 200,
    });
  });

  it("is null while the retry has not answered", () => {
    const events = log(
      ["unauthorized", "/api/notes: token_expired"],
      ["refresh_start", "unauthorized"],
      ["refresh_end", "refreshed"],
      ["retry", "/api/notes"],
    );
    expect(observeRefreshPath(events)).toBeNull();
    expect(observeRefreshPath([])).toBeNull();
  });

  it("reports a refused refresh, which ends the story without a retry", () => {
    const events = log(
      ["unauthorized", "/api/notes: token_expired"],
      ["refresh_start", "unauthorized"],
      ["refresh_end", "signed out: session_revoked"],
    );
    expect(observeRefreshPath(events)).toMatchObject({ refreshed: false, retryStatus: 0 });
  });
});
