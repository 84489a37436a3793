import { describe, expect, it } from "vitest";

import {
  createAuthStore,
  endSession,
  MAX_AUTH_EVENTS,
  recordAuthEvent,
  startSession,
  updateSession,
  type SessionSnapshot,
} from "./auth-store";
import { TEST_USER } from "@/test/client/fakes";

const session = (accessToken: string): SessionSnapshot => ({
  user: TEST_USER,
  accessToken,
  issuedAt: 1_000,
  expiresAt: 901_000,
});

describe("auth store", () => {
  it("starts unknown, with no token", () => {
    const state = createAuthStore().getState();
    expect(state.status).toBe("unknown");
    expect(state.accessToken).toBeNull();
  });

  it("applies a refresh only under the epoch it started in", () => {
    const store = createAuthStore();
    startSession(store, session("token-1"));
    const epochAtRefreshStart = store.getState().epoch;

    endSession(store, "logged_out");
    expect(updateSession(store, session("token-2"), epochAtRefreshStart)).toBe(false);
    expect(store.getState()).toMatchObject({
      status: "signed_out",
      accessToken: null,
      signOutReason: "logged_out",
    });

    expect(updateSession(store, session("token-3"), store.getState().epoch)).toBe(true);
    expect(store.getState()).toMatchObject({
      status: "authenticated",
      accessToken: "token-3",
      signOutReason: null,
    });
  });

  it("bumps the epoch on login and sign-out but not on refresh", () => {
    const store = createAuthStore();
    startSession(store, session("token-1"));
    expect(store.getState().epoch).toBe(1);
    updateSession(store, session("token-2"), 1);
    expect(store.getState().epoch).toBe(1);
    endSession(store, "session_expired");
    expect(store.getState().epoch).toBe(2);
  });

  it(`keeps only the last ${MAX_AUTH_EVENTS} events, oldest dropped`, () => {
    const store = createAuthStore();
    for (let i = 1; i <= MAX_AUTH_EVENTS + 50; i++) {
      recordAuthEvent(store, i, { type: "request", method: "GET", path: `/${i}` });
    }
    const { events } = store.getState();
    expect(events).toHaveLength(MAX_AUTH_EVENTS);
    expect(events[0]).toEqual({
      seq: 51,
      at: 51,
      elapsed: expect.any(Number),
      type: "request",
      method: "GET",
      path: "/51",
    });
    expect(events.at(-1)).toMatchObject({ path: `/${MAX_AUTH_EVENTS + 50}` });
  });

  it("stamps each event with monotonic time, which never runs backwards when `at` does", () => {
    const store = createAuthStore();
    const note = (text: string) => ({
      type: "scenario" as const,
      marker: "note" as const,
      scenario: null,
      text,
    });
    recordAuthEvent(store, 10 * 60_000, note("clock skewed"));
    recordAuthEvent(store, 0, note("clock put back"));
    const [skewed, putBack] = store.getState().events;
    expect(putBack!.at).toBeLessThan(skewed!.at);
    expect(putBack!.elapsed!).toBeGreaterThanOrEqual(skewed!.elapsed!);
  });
});
