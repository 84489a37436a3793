import { describe, expect, it } from "vitest";
import type { AuthEvent, AuthEventData } from "./auth-events";
import { observeRefreshPath } from "./refresh-path";

const log = (...entries: AuthEventData[]): AuthEvent[] =>
  entries.map((data, index) => ({ ...data, seq: index + 1, at: index }));

const request = (path: string): AuthEventData => ({ type: "request", method: "GET", path });
const unauthorized = (path: string): AuthEventData => ({
  type: "unauthorized",
  path,
  code: "token_expired",
});
const retry = (path: string): AuthEventData => ({ type: "retry", path });
const retryResult = (path: string, status = 200): AuthEventData => ({
  type: "retry_result",
  path,
  status,
});
const start: AuthEventData = { type: "refresh_start", trigger: "unauthorized" };
const refreshed: AuthEventData = { type: "refresh_end", outcome: "refreshed" };

describe("observeRefreshPath", () => {
  it("reads one 401, one refresh and the retry's status", () => {
    const events = log(
      request("/api/notes"),
      unauthorized("/api/notes"),
      start,
      { type: "rotation", cause: "refresh", token: "…abcdef" },
      refreshed,
      retry("/api/notes"),
      retryResult("/api/notes"),
    );
    expect(observeRefreshPath(events)).toEqual({
      paths: ["/api/notes"],
      code: "token_expired",
      refreshes: 1,
      refreshed: true,
      retryStatuses: [200],
    });
  });

  it("is null while the retry has not answered", () => {
    const events = log(request("/api/notes"), unauthorized("/api/notes"), start, refreshed);
    expect(observeRefreshPath([...events, ...log(retry("/api/notes"))])).toBeNull();
    expect(observeRefreshPath([])).toBeNull();
  });

  // Issue 27: "Fire 5 requests" after the swap showed the first /api/me's story and then said
  // the notes never saw the 401. The story is every request the expired token went out with.
  it("tells five requests sent at once, one refresh and five retries, once all have answered", () => {
    const five = Array.from({ length: 5 }, () => "/api/me");
    const sent = five.map(request);
    const first401s = five.slice(0, 3).map(unauthorized);
    const early = log(
      ...sent,
      ...first401s,
      start,
      refreshed,
      retry("/api/me"),
      retryResult("/api/me"),
    );
    expect(observeRefreshPath(early)).toBeNull();

    const events = log(
      ...sent,
      ...first401s,
      start,
      ...five.slice(3).map(unauthorized),
      refreshed,
      ...five.flatMap((path) => [retry(path), retryResult(path)]),
      // A request sent after the refresh carries the new token: not part of the story.
      request("/api/notes"),
    );
    expect(observeRefreshPath(events)).toEqual({
      paths: five,
      code: "token_expired",
      refreshes: 1,
      refreshed: true,
      retryStatuses: [200, 200, 200, 200, 200],
    });
  });

  it("waits for a 401 that arrives after the refresh ended", () => {
    const adopted: AuthEventData = {
      type: "token_adopted",
      source: "another_request",
      token: "…x",
    };
    const sent = log(
      request("/api/me"),
      request("/api/me"),
      unauthorized("/api/me"),
      start,
      refreshed,
      retry("/api/me"),
      retryResult("/api/me"),
    );
    expect(observeRefreshPath(sent)).toBeNull();
    const done = log(
      ...sent,
      unauthorized("/api/me"),
      adopted,
      retry("/api/me"),
      retryResult("/api/me"),
    );
    expect(observeRefreshPath(done)).toMatchObject({
      paths: ["/api/me", "/api/me"],
      refreshes: 1,
      retryStatuses: [200, 200],
    });
  });

  it("reports a refused refresh, which ends the story without a retry", () => {
    const events = log(request("/api/notes"), unauthorized("/api/notes"), start, {
      type: "refresh_end",
      outcome: "signed_out",
      reason: "session_revoked",
    });
    expect(observeRefreshPath(events)).toMatchObject({ refreshed: false, retryStatuses: [] });
  });
});
