import "server-only";

/**
 * The server's notion of "now" for every auth decision (token issue and
 * expiry, session idle/absolute expiry, the grace window). One function, so
 * nothing reads the wall clock behind its back, and time can be moved for one
 * piece of work:
 *
 * - `runWithClockOffset` moves "now" for the work it runs. The offset lives in
 *   AsyncLocalStorage, so concurrent requests never see each other's time.
 *   Production uses it once (lib/auth/expired-access-token.ts signs a token in
 *   the past); the end-to-end tests' clock (lib/dev/test-clock.ts, through
 *   lib/dev/gate.ts: only with AUTH_TEST_CLOCK=1 on a local server) runs a
 *   whole request under the offset its X-Test-Clock-Offset header asks for;
 * - unit and HTTP tests fake `Date` (vitest's fake timers) or call
 *   `runWithClockOffset` themselves.
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
