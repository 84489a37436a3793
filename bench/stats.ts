/**
 * The benchmark's statistics: pure functions, no I/O (tested in stats.test.ts).
 *
 * Why ratios of pairs: on a shared machine absolute throughput swings with
 * whatever else runs, so every figure is a ratio of two measurements taken
 * side by side in the same round, and a row shows the median of those ratios
 * with their range, never a ratio of two medians taken at different times.
 */

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A median with the range it came from. */
export type Spread = { median: number; min: number; max: number; n: number };

/**
 * Median and range of some values.
 *
 * @example
 * spreadOf([0.9, 1.1, 1.0]); // { median: 1, min: 0.9, max: 1.1, n: 3 }
 */
export function spreadOf(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    n: values.length,
  };
}

/**
 * The ratio a[i] ÷ b[i] of each round's pair, summarised. Pairs where either
 * side is missing or not a positive finite number are dropped (a round whose
 * measurement failed says nothing about the ratio).
 *
 * @example
 * pairedRatios([50, 60], [100, 100]); // { median: 0.55, min: 0.5, max: 0.6, n: 2 }
 */
export function pairedRatios(a: readonly number[], b: readonly number[]): Spread {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isFinite(x) && Number.isFinite(y) && x >= 0 && y > 0) ratios.push(x / y);
  }
  return spreadOf(ratios);
}

/**
 * The order of round `round`'s measurements: forward in even rounds, backward
 * in odd ones, so a slow drift of the machine's speed cancels out of the
 * median instead of always favouring whatever runs first.
 */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...items] : [...items].reverse();
}

/** CPU time per operation in microseconds, from a `process.cpuUsage()` delta. */
export function cpuMicrosPerOp(used: { user: number; system: number }, operations: number): number {
  if (operations <= 0) throw new Error("no operations");
  return (used.user + used.system) / operations;
}

/**
 * The login throughput the password hash allows: each login costs one verify,
 * so `cores` CPUs give at most cores ÷ (verify CPU seconds) logins a second.
 *
 * @example
 * hashBoundPerSecond(2, 25_000); // 80 (two cores, 25 ms of CPU per verify)
 */
export function hashBoundPerSecond(cores: number, verifyCpuMicros: number): number {
  return (cores * 1e6) / verifyCpuMicros;
}

/** A goal: a figure against a target, met or not. */
export type Goal = {
  name: string;
  figure: number | null;
  target: number;
  /** "atLeast": figure ≥ target; "atMost": figure ≤ target. */
  direction: "atLeast" | "atMost";
};

/** Met, not met, or unmeasured (null figure: e.g. no PostgreSQL). */
export function judge(goal: Goal): "met" | "not met" | "not measured" {
  if (goal.figure === null || !Number.isFinite(goal.figure)) return "not measured";
  const met =
    goal.direction === "atLeast" ? goal.figure >= goal.target : goal.figure <= goal.target;
  return met ? "met" : "not met";
}

/** "0.52 (0.41–0.60)", or just "0.52" when every round agreed or there was one. */
export function formatSpread(spread: Spread | undefined, digits = 2): string {
  if (!spread || !Number.isFinite(spread.median)) return "—";
  const m = spread.median.toFixed(digits);
  if (spread.n < 2 || spread.min === spread.max) return m;
  return `**${m}** (${spread.min.toFixed(digits)}–${spread.max.toFixed(digits)})`;
}

/** Load averages as "1.2 / 3.4 / 5.6". */
export function formatLoad(load: readonly number[]): string {
  return load.map((l) => l.toFixed(1)).join(" / ");
}
