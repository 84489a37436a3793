import { describe, expect, it } from "vitest";
import type { AuthEvent, AuthEventData } from "./auth-events";
import { observeRefreshPath } from "./refresh-path";

const log = (...entries: AuthEventData[]): AuthEvent[] =>
  entries.map((data, index) => ({ ...data, seq: index + 1, at: index }));

const unauthorized: AuthEventData = {
  type: "unauthorized",
  path: "/api/notes",
  code: "token_expired",
};
const start: AuthEventData = { type: "refresh_start", trigger: "unauthorized" };
const refreshed: AuthEventData = { type: "refresh_end", outcome: "refreshed" };

describe("observeRefreshPath", () => {
  it("reads one 401, one refresh and the retry's status", () => {
    const events = log(
      { type: "request", method: "GET", path: "/api/notes" },
      unauthorized,
      start,
      { type: "rotation", cause: "refresh", token: "…abcdef" },
      refreshed,
      { type: "retry", path: "/api/notes" },
      { type: "retry_result", path: "/api/notes", status: 200 },
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
    const events = log(unauthorized, start, refreshed, { type: "retry", path: "/api/notes" });
    expect(observeRefreshPath(events)).toBeNull();
    expect(observeRefreshPath([])).toBeNull();
  });

  it("ignores another path's retry", () => {
    const events = log(unauthorized, start, refreshed, {
      type: "retry_result",
      path: "/api/me",
      status: 200,
    });
    expect(observeRefreshPath(events)).toBeNull();
  });

  it("reports a refused refresh, which ends the story without a retry", () => {
    const events = log(unauthorized, start, {
      type: "refresh_end",
      outcome: "signed_out",
      reason: "session_revoked",
    });
    expect(observeRefreshPath(events)).toMatchObject({ refreshed: false, retryStatus: 0 });
  });
});
