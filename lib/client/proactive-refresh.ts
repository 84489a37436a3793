/**
 * Refreshing before the token dies, so a visible tab in normal use never meets a 401.
 *
 * States: stopped -> armed (a timer for `computeProactiveRefreshAt`) -> due (refresh; a success
 * re-arms through `schedule`, a failure waits for a wake-up or a 401). Timers lie: a laptop that
 * slept fires none, and a hidden tab's are throttled. So every wake-up (`visibilitychange` to
 * visible, `focus`, `online`) re-checks against `now()`, and a hidden tab does not refresh at all:
 * the wake-up that shows it again does, and a request made meanwhile still refreshes on its 401.
 */
import type { AuthEventData } from "./auth-events";
import type { AuthStore } from "./auth-store";
import type { PageLifecycle, Timers } from "./browser-adapters";

/** Refresh this long before expiry (at most half the token's lifetime, for short demo tokens). */
export const PROACTIVE_REFRESH_LEAD_MS = 30_000;

/**
 * Floor between receiving a token and refreshing it proactively: a server answering
 * `accessTokenExpiresIn: 0` must not turn the timer into a refresh loop.
 */
export const MIN_PROACTIVE_REFRESH_DELAY_MS = 5_000;

/**
 * When to refresh a token proactively, in local ms: `PROACTIVE_REFRESH_LEAD_MS` before expiry,
 * but no earlier than half its lifetime nor `MIN_PROACTIVE_REFRESH_DELAY_MS` after issue.
 *
 * @example
 * computeProactiveRefreshAt(0, 900_000); // 870_000 (15-minute token: 30 s before expiry)
 * computeProactiveRefreshAt(0, 20_000);  // 10_000  (20-second demo token: halfway)
 */
export function computeProactiveRefreshAt(issuedAt: number, expiresAt: number): number {
  const leadMs = Math.min(PROACTIVE_REFRESH_LEAD_MS, (expiresAt - issuedAt) / 2);
  return Math.max(expiresAt - leadMs, issuedAt + MIN_PROACTIVE_REFRESH_DELAY_MS);
}

export interface ProactiveRefresh {
  /** Listens for wake-ups and arms the timer for the token held now. */
  start(): void;
  stop(): void;
  /** Re-arms for the token held now (after a login, refresh or adoption). No-op while stopped. */
  schedule(): void;
  cancel(): void;
}

export interface ProactiveRefreshOptions {
  store: AuthStore;
  now(): number;
  timers: Timers;
  /** `null`: always visible, never wakes. */
  lifecycle: PageLifecycle | null;
  record(data: AuthEventData): void;
  /** Starts the refresh (single-flighted by the coordinator). */
  refresh(): void;
}

/**
 * @example
 * const proactive = createProactiveRefresh({ store, now, timers, lifecycle, record, refresh });
 * proactive.start();
 */
export function createProactiveRefresh(options: ProactiveRefreshOptions): ProactiveRefresh {
  const { store, now, timers, lifecycle } = options;
  let timer: unknown = null;
  let unsubscribe: (() => void) | null = null;
  let started = false;

  /** The token's times, when a timer makes sense at all. */
  function heldToken(): { issuedAt: number; expiresAt: number } | null {
    const state = store.getState();
    if (!started || state.status !== "authenticated") return null;
    if (state.accessTokenIssuedAt === null || state.accessTokenExpiresAt === null) return null;
    return { issuedAt: state.accessTokenIssuedAt, expiresAt: state.accessTokenExpiresAt };
  }

  function cancel(): void {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
  }

  function schedule(): void {
    cancel();
    const token = heldToken();
    if (!token) return;
    const dueAt = computeProactiveRefreshAt(token.issuedAt, token.expiresAt);
    timer = timers.setTimeout(check, Math.max(0, dueAt - now()));
  }

  /** Timer tick and wake-up handler: refresh if due, otherwise re-arm the timer from `now()`. */
  function check(): void {
    cancel();
    const token = heldToken();
    if (!token) return;
    if (lifecycle && !lifecycle.isVisible()) return;
    if (now() < computeProactiveRefreshAt(token.issuedAt, token.expiresAt)) {
      schedule();
      return;
    }
    options.record({ type: "proactive_refresh", expiresInMs: token.expiresAt - now() });
    options.refresh();
  }

  return {
    start() {
      if (started) return;
      started = true;
      unsubscribe = lifecycle?.subscribe(check) ?? null;
      schedule();
    },
    stop() {
      started = false;
      unsubscribe?.();
      unsubscribe = null;
      cancel();
    },
    schedule,
    cancel,
  };
}
