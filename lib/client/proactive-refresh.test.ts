import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeLifecycle, TEST_USER } from "@/test/client/fakes";
import type { AuthEventData } from "./auth-events";
import { createAuthStore, endSession, startSession } from "./auth-store";
import { globalTimers } from "./browser-adapters";
import {
  computeProactiveRefreshAt,
  createProactiveRefresh,
  MIN_PROACTIVE_REFRESH_DELAY_MS,
} from "./proactive-refresh";

afterEach(() => {
  vi.useRealTimers();
});

describe("computeProactiveRefreshAt", () => {
  it("is 30 s before expiry, no earlier than halfway, and never sooner than the floor", () => {
    expect(computeProactiveRefreshAt(0, 900_000)).toBe(870_000);
    expect(computeProactiveRefreshAt(0, 20_000)).toBe(10_000);
    expect(computeProactiveRefreshAt(0, 0)).toBe(MIN_PROACTIVE_REFRESH_DELAY_MS);
  });
});

function setUp(lifecycle: FakeLifecycle | null = null) {
  vi.useFakeTimers();
  const store = createAuthStore();
  const refresh = vi.fn();
  const events: AuthEventData[] = [];
  const proactive = createProactiveRefresh({
    store,
    now: () => Date.now(),
    timers: globalTimers(),
    lifecycle,
    record: (data) => events.push(data),
    refresh,
  });
  const signIn = (lifetimeMs = 900_000) =>
    startSession(store, {
      user: TEST_USER,
      accessToken: "t",
      issuedAt: Date.now(),
      expiresAt: Date.now() + lifetimeMs,
    });
  return { store, refresh, events, proactive, signIn };
}

describe("the proactive refresh", () => {
  it("fires once the token is due, and says how long it had left", () => {
    const { refresh, events, proactive, signIn } = setUp();
    signIn();
    proactive.start();

    vi.advanceTimersByTime(869_999);
    expect(refresh).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(refresh).toHaveBeenCalledOnce();
    expect(events).toEqual([{ type: "proactive_refresh", expiresInMs: 30_000 }]);
  });

  it("does nothing before start(), after stop(), or without a session", () => {
    const { store, refresh, proactive, signIn } = setUp();
    signIn();
    proactive.schedule();
    vi.advanceTimersByTime(900_000);
    expect(refresh).not.toHaveBeenCalled();

    proactive.start();
    endSession(store, "logged_out");
    proactive.schedule();
    vi.advanceTimersByTime(900_000);
    expect(refresh).not.toHaveBeenCalled();

    signIn();
    proactive.schedule();
    proactive.stop();
    vi.advanceTimersByTime(900_000);
    expect(refresh).not.toHaveBeenCalled();
  });

  it("a hidden tab waits for the wake-up that shows it", () => {
    const lifecycle = new FakeLifecycle(false);
    const { refresh, proactive, signIn } = setUp(lifecycle);
    signIn();
    proactive.start();

    vi.advanceTimersByTime(880_000);
    expect(refresh).not.toHaveBeenCalled();
    lifecycle.visible = true;
    lifecycle.wake();
    expect(refresh).toHaveBeenCalledOnce();
  });

  it("a wake-up before the token is due only re-arms the timer", () => {
    const lifecycle = new FakeLifecycle(true);
    const { refresh, proactive, signIn } = setUp(lifecycle);
    signIn();
    proactive.start();

    lifecycle.wake();
    expect(refresh).not.toHaveBeenCalled();
    vi.advanceTimersByTime(870_000);
    expect(refresh).toHaveBeenCalledOnce();
  });

  it("a wake-up after a sleep in which no timer fired refreshes at once", () => {
    const lifecycle = new FakeLifecycle(true);
    const { refresh, proactive, signIn } = setUp(lifecycle);
    signIn();
    proactive.start();

    vi.setSystemTime(Date.now() + 20 * 60_000); // the clock jumps, timers stay put
    lifecycle.wake();
    expect(refresh).toHaveBeenCalledOnce();
  });
});
