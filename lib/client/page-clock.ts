/**
 * The inspector's "Skew my clock by 10 minutes": moves this page's `Date.now()` as a laptop with
 * a wrong clock would, so the real fetch wrapper (whose clock is `Date.now()`) runs under it.
 * Nothing else is changed: the server keeps its own time, and timers keep real time.
 *
 * What it shows. The client measures a token's life from its own send time plus the server's
 * `accessTokenExpiresIn`, never from `exp` against its own clock, so a skewed clock costs at most
 * one refresh (the jump makes the held token look old) and then nothing. A client comparing `exp`
 * with a clock ten minutes fast would find every new token expired on arrival.
 */

const globalForClock = globalThis as typeof globalThis & {
  __pageClock?: { realNow: () => number; skewMs: number };
};

/**
 * Moves `Date.now()` by `skewMs` from the real clock (replacing any earlier skew).
 *
 * @example
 * skewPageClock(10 * 60_000); // ten minutes fast
 */
export function skewPageClock(skewMs: number): void {
  const clock = (globalForClock.__pageClock ??= { realNow: Date.now, skewMs: 0 });
  clock.skewMs = skewMs;
  const { realNow } = clock;
  Date.now = () => realNow() + clock.skewMs;
}

/** Puts `Date.now()` back as it was before the first `skewPageClock`. */
export function restorePageClock(): void {
  const clock = globalForClock.__pageClock;
  if (!clock) return;
  Date.now = clock.realNow;
  globalForClock.__pageClock = undefined;
}

/** The current skew in ms (0 when the clock is not skewed). */
export function getPageClockSkew(): number {
  return globalForClock.__pageClock?.skewMs ?? 0;
}
