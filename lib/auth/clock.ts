import "server-only";

/**
 * The server's notion of "now" for every auth decision (token issue and
 * expiry, session idle/absolute expiry, the grace window). One function, so
 * nothing reads the wall clock behind its back, and tests can move time:
 *
 * - unit and HTTP tests fake `Date` (vitest's fake timers);
 * - end-to-end tests send `X-Test-Clock-Offset: <seconds>` on each request,
 *   which lib/http/test-clock.ts honours only when AUTH_TEST_CLOCK=1 (allowed
 *   only for a loopback APP_URL). The offset lives in AsyncLocalStorage for the
 *   duration of that one request, so concurrent requests never see each
 *   other's time.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const requestClockOffsetMs = new AsyncLocalStorage<number>();

export function currentTime(): Date {
  return new Date(Date.now() + (requestClockOffsetMs.getStore() ?? 0));
}

/**
 * The test clock's offset for this request, in milliseconds (0 outside a moved request). Code
 * that reads the database's clock adds it, so moved requests see moved time there too.
 */
export function clockOffsetMs(): number {
  return requestClockOffsetMs.getStore() ?? 0;
}

/**
 * Runs `fn` (one request's work) with the clock moved by `offsetMs`.
 *
 * @example
 * return runWithClockOffset(360_000, () => handler(request)); // six minutes later
 */
export function runWithClockOffset<T>(offsetMs: number, fn: () => T): T {
  return requestClockOffsetMs.run(offsetMs, fn);
}

/** Seconds since the epoch, as JWT claims count them. */
export function toEpochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
