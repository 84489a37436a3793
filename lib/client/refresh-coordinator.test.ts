/**
 * The refresh protocol on its own, without the rest of the client: a fake server behind `fetch`,
 * a fake lock manager for "other tabs", and spies where the client would broadcast and navigate.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SIGN_OUT_REASON } from "@/lib/contract";
import {
  createDeferred,
  createFakeLockManager,
  errorResponse,
  FakeServer,
  flushPromises,
  TEST_USER,
} from "@/test/client/fakes";
import type { AuthEventData } from "./auth-events";
import { createAuthStore, endSession, startSession } from "./auth-store";
import { globalTimers, type LockManagerLike } from "./browser-adapters";
import { createRefreshCoordinator, LOCK_ACQUIRE_TIMEOUT_MS } from "./refresh-coordinator";

let server: FakeServer;
beforeEach(() => {
  server = new FakeServer();
});
afterEach(() => {
  vi.useRealTimers();
});

function setUp(locks: LockManagerLike | null = null) {
  const store = createAuthStore();
  startSession(store, {
    user: TEST_USER,
    accessToken: "token-0",
    issuedAt: Date.now(),
    expiresAt: Date.now() + 900_000,
  });
  const events: AuthEventData[] = [];
  const signOut = { end: vi.fn(), leave: vi.fn() };
  const onRefreshed = vi.fn();
  const onRejected = vi.fn();
  const coordinator = createRefreshCoordinator({
    store,
    fetch: server.fetchFor("A"),
    now: () => Date.now(),
    locks,
    timers: globalTimers(),
    record: (data) => events.push(data),
    signOut,
    onRefreshed,
    onRejected,
  });
  return { store, events, signOut, onRefreshed, onRejected, coordinator };
}

describe("the refresh coordinator", () => {
  it("single-flight: every concurrent caller shares one POST and gets its token", async () => {
    const { coordinator, onRefreshed, store } = setUp();
    const tokens = await Promise.all([
      coordinator.refresh("unauthorized"),
      coordinator.refresh("proactive"),
      coordinator.replace("token-0"),
    ]);
    expect(tokens).toEqual(["token-1", "token-1", "token-1"]);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    expect(store.getState().accessToken).toBe("token-1");
    expect(onRefreshed).toHaveBeenCalledOnce();
  });

  it("replace() adopts a token someone else obtained after the failed one was sent", async () => {
    const { coordinator, events } = setUp();
    await expect(coordinator.replace("an-older-token")).resolves.toBe("token-0");
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(0);
    expect(events).toEqual([
      { type: "token_adopted", source: "another_request", token: "…oken-0" },
    ]);
  });

  it("a refusal ends the session, tells the tabs, and leaves the page (but not on restore)", async () => {
    const { coordinator, signOut, onRejected, events } = setUp();
    server.refreshAnswers.push(() => errorResponse(401, SIGN_OUT_REASON.refreshTokenReused));
    await expect(coordinator.refresh("unauthorized")).resolves.toBeNull();
    expect(events.map((e) => e.type)).toContain("reuse_detected");
    expect(signOut.end).toHaveBeenCalledWith(SIGN_OUT_REASON.refreshTokenReused);
    expect(onRejected).toHaveBeenCalledWith(SIGN_OUT_REASON.refreshTokenReused);
    expect(signOut.leave).toHaveBeenCalledWith(
      "refresh_rejected",
      SIGN_OUT_REASON.refreshTokenReused,
    );

    const restoring = setUp();
    server.refreshAnswers.push(() => errorResponse(401, SIGN_OUT_REASON.refreshTokenMissing));
    await restoring.coordinator.refresh("restore");
    expect(restoring.signOut.leave).toHaveBeenCalledWith(
      "restore_rejected",
      SIGN_OUT_REASON.refreshTokenMissing,
    );
  });

  it("drops a result that lands after the session changed (stale), applying nothing", async () => {
    const { coordinator, store, events, onRefreshed } = setUp();
    const late = createDeferred<Response>();
    server.refreshAnswers.push(() => late.promise);
    const pending = coordinator.refresh("unauthorized");
    await flushPromises();
    endSession(store, SIGN_OUT_REASON.loggedOut);
    late.resolve(server.rotate());

    await expect(pending).resolves.toBeNull();
    expect(store.getState().accessToken).toBeNull();
    expect(onRefreshed).not.toHaveBeenCalled();
    expect(events.find((e) => e.type === "refresh_end")).toMatchObject({ outcome: "stale" });
    expect(events.map((e) => e.type)).toContain("stale_result_ignored");
  });

  it("backs off on 5xx and network errors, then keeps the session when it gives up", async () => {
    vi.useFakeTimers();
    const { coordinator, signOut, events } = setUp();
    for (let i = 0; i < 10; i++) server.refreshAnswers.push(() => errorResponse(503, "down"));
    const pending = coordinator.refresh("unauthorized");
    await vi.advanceTimersByTimeAsync(60_000);

    await expect(pending).resolves.toBeNull();
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(4);
    expect(events.filter((e) => e.type === "attempt_failed")).toHaveLength(3);
    expect(events.find((e) => e.type === "refresh_end")).toMatchObject({
      outcome: "unavailable",
      why: "HTTP 503",
    });
    expect(signOut.end).not.toHaveBeenCalled();
  });

  it("a 409 refresh_token_superseded (a late copy of this device's refresh) keeps the session and tries again", async () => {
    vi.useFakeTimers();
    const { coordinator, signOut } = setUp();
    server.refreshAnswers.push(() => errorResponse(409, "refresh_token_superseded"));
    const pending = coordinator.refresh("unauthorized");
    await vi.advanceTimersByTimeAsync(60_000);

    // The second attempt (the fake server's default answer) rotates.
    await expect(pending).resolves.toEqual(expect.any(String));
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(2);
    expect(signOut.end).not.toHaveBeenCalled();
  });

  it("waits for the cross-tab lock, and gives up on it without spending the cookie", async () => {
    vi.useFakeTimers();
    const locks = createFakeLockManager();
    const held = createDeferred<void>();
    void locks.request("auth:refresh", {}, () => held.promise); // another tab holds it
    const { coordinator, events, signOut } = setUp(locks);

    const pending = coordinator.refresh("unauthorized");
    await vi.advanceTimersByTimeAsync(LOCK_ACQUIRE_TIMEOUT_MS);

    await expect(pending).resolves.toBeNull();
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(0);
    expect(events).toContainEqual({ type: "lock_timeout", afterMs: LOCK_ACQUIRE_TIMEOUT_MS });
    expect(signOut.end).not.toHaveBeenCalled();
    held.resolve();
  });

  it("withLock() keeps refreshes out while its work runs", async () => {
    const locks = createFakeLockManager();
    const { coordinator } = setUp(locks);
    const work = createDeferred<string>();
    const locked = coordinator.withLock(() => work.promise);
    const refresh = coordinator.refresh("manual");
    await flushPromises();
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(0);

    work.resolve("done");
    await expect(locked).resolves.toBe("done");
    await expect(refresh).resolves.toBe("token-1");
  });
});
