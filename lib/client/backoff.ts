/**
 * Retrying what failed for a reason that may pass (a network error, a 5xx): the refresh and the
 * logout call. Four attempts in all, spread over about six seconds; then the caller decides (a
 * refresh keeps the session and waits for the next request or wake-up).
 */

/** Waits between attempts. */
export const RETRY_DELAYS_MS = [500, 1_500, 4_000] as const;

/** An attempt that failed for a reason that may pass. */
export interface Transient {
  kind: "transient";
  why: string;
}

export function isTransient(result: { kind: string }): result is Transient {
  return result.kind === "transient";
}

export interface BackoffOptions {
  sleep(ms: number): Promise<void>;
  /** Checked after each failure and after each wait: false stops (the session changed meanwhile). */
  shouldGoOn(): boolean;
  /** Told before each wait. */
  onRetry?(why: string, delayMs: number): void;
}

/**
 * Runs `attempt` until it gives a non-transient answer, the delays run out, or `shouldGoOn` says
 * stop; resolves the last answer.
 *
 * @example
 * const result = await withBackoff(postRefresh, { sleep, shouldGoOn: () => epochUnchanged() });
 */
export async function withBackoff<T extends { kind: string }>(
  attempt: () => Promise<T | Transient>,
  options: BackoffOptions,
): Promise<T | Transient> {
  for (let index = 0; ; index++) {
    const result = await attempt();
    const delayMs = RETRY_DELAYS_MS[index];
    if (!isTransient(result) || delayMs === undefined || !options.shouldGoOn()) return result;
    options.onRetry?.(result.why, delayMs);
    await options.sleep(delayMs);
    if (!options.shouldGoOn()) return result;
  }
}
