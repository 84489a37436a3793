import "server-only";

/**
 * SQLSTATE 40P01: PostgreSQL found a cycle of lock waits and rolled this statement back to break
 * it. The statements that lock several rows take them in one order (lib/auth/throttle.ts), so
 * this should never happen; when it does, the statement left nothing behind and may run again.
 */
const DEADLOCK_DETECTED = "40P01";

const globalForRetries = globalThis as typeof globalThis & { __deadlocksRetried?: number };

/** How many statements this process has run again after a deadlock (the tests expect none). */
export function deadlocksRetried(): number {
  return globalForRetries.__deadlocksRetried ?? 0;
}

/** Whether `error` is PostgreSQL's "deadlock detected". */
export function isDeadlock(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === DEADLOCK_DETECTED;
}

/**
 * Runs `statement` again, once, when PostgreSQL answers "deadlock detected"; any other error,
 * and a second deadlock, go to the caller (503 service_unavailable). A backstop only: use it
 * on single statements (autocommit), which a deadlock rolls back whole.
 *
 * @example
 * const rows = await withDeadlockRetry(() => run({ name, text, values }));
 */
export async function withDeadlockRetry<T>(statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    if (!isDeadlock(error)) throw error;
    globalForRetries.__deadlocksRetried = deadlocksRetried() + 1;
    console.warn("[db] deadlock detected (40P01); running the statement once more");
    return statement();
  }
}
