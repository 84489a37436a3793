import "server-only";

/**
 * The server's notion of "now" for every auth decision (token issue and
 * expiry, session idle/absolute expiry, the grace window). One function, so
 * tests can move time (vitest's fake Date) and nothing reads the wall clock
 * behind its back.
 */
export function currentTime(): Date {
  return new Date();
}

/** Seconds since the epoch, as JWT claims count them. */
export function toEpochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
