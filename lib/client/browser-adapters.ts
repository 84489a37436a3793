/**
 * The browser APIs the fetch wrapper leans on, each behind the small interface it actually uses,
 * so the wrapper's parts run in tests against fakes (test/client/fakes.ts) and degrade where a
 * browser lacks one:
 *
 * - Web Locks (`navigator.locks`): one refresh at a time across the tabs of this origin.
 *   Absent: in-tab single-flight only.
 * - BroadcastChannel: tabs tell each other about new tokens and sign-outs. Absent: each tab finds
 *   out on its own next refresh.
 * - Page lifecycle: visibility, plus the events after which timers may have lied (`visibilitychange`
 *   to visible, `focus`, `online`): a laptop that slept fired no timer.
 * - Timers: injected so tests can run them on fake time.
 *
 * Module load touches none of them, so server rendering can import this file.
 */

/** The Web Lock every tab takes to refresh. */
export const REFRESH_LOCK_NAME = "auth:refresh";
/** The BroadcastChannel tabs talk on. */
export const AUTH_CHANNEL_NAME = "auth";

/** The subset of `navigator.locks` we use. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<T>,
  ): Promise<T>;
}

/** The subset of `BroadcastChannel` we use. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
}

/** Page visibility plus the events after which timers may have lied (sleep, offline, hidden tab). */
export interface PageLifecycle {
  isVisible(): boolean;
  /** Calls `onWake` on `visibilitychange` (to visible), `focus` and `online`; returns an unsubscribe. */
  subscribe(onWake: () => void): () => void;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * `navigator.locks` where the browser has it, else null.
 *
 * @example
 * const locks = detectLocks(); // null in old Safari: single-flight within the tab only
 */
export function detectLocks(): LockManagerLike | null {
  return typeof navigator !== "undefined" && navigator.locks ? navigator.locks : null;
}

/**
 * The tabs' channel in a browser that has one, else null (and always null outside a page).
 *
 * @example
 * const channel = openBrowserChannel();
 */
export function openBrowserChannel(): BroadcastChannelLike | null {
  return typeof window !== "undefined" && typeof BroadcastChannel === "function"
    ? new BroadcastChannel(AUTH_CHANNEL_NAME)
    : null;
}

/**
 * Visibility and wake-ups from `document` and `window`, or null outside a page.
 *
 * @example
 * const stop = createBrowserLifecycle()?.subscribe(() => console.log("check the token"));
 */
export function createBrowserLifecycle(): PageLifecycle | null {
  if (typeof window === "undefined" || typeof document === "undefined") return null;
  return {
    isVisible: () => document.visibilityState === "visible",
    subscribe(onWake) {
      const onVisibilityChange = () => {
        if (document.visibilityState === "visible") onWake();
      };
      document.addEventListener("visibilitychange", onVisibilityChange);
      window.addEventListener("focus", onWake);
      window.addEventListener("online", onWake);
      return () => {
        document.removeEventListener("visibilitychange", onVisibilityChange);
        window.removeEventListener("focus", onWake);
        window.removeEventListener("online", onWake);
      };
    },
  };
}

/**
 * The global timers, looked up at each call (so fake timers installed later still apply).
 *
 * @example
 * const timers = globalTimers();
 * const handle = timers.setTimeout(tick, 1_000);
 */
export function globalTimers(): Timers {
  return {
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) =>
      globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  };
}
