import "server-only";

/**
 * Test-only: forgets the state a process keeps between requests, so a test (or the benchmark)
 * can change configuration mid-run. Production modules keep that state on `globalThis` (hot
 * reload keeps it) and export no way to drop it; this module is the one place that does, and
 * nothing under app/, components/ or lib/ outside lib/dev may import it (eslint.config.mjs).
 *
 * The keys are the ones lib/env.ts, lib/auth/keys.ts, lib/shutdown.ts and lib/ops declare.
 */
const processState = globalThis as typeof globalThis & {
  __env?: unknown;
  __signingKeys?: unknown;
  __shutdown?: unknown;
  __opsLogger?: unknown;
  __opsLogDestination?: { write(line: string): void };
  __opsLogLevel?: string;
  __opsMetrics?: unknown;
};

/**
 * The next getEnv() reads process.env again (lib/env.ts).
 *
 * @example
 * process.env.AUTH_TEST_CLOCK = "1";
 * forgetEnv();
 */
export function forgetEnv(): void {
  processState.__env = undefined;
}

/** The next getSigningKeys() loads the key set again (lib/auth/keys.ts). */
export function forgetSigningKeys(): void {
  processState.__signingKeys = undefined;
}

/** Shutdown starts over: no closers, no requests in flight, not draining (lib/shutdown.ts). */
export function forgetShutdownState(): void {
  processState.__shutdown = undefined;
}

/**
 * The structured log (lib/ops/logger.ts) writes to `destination` at `level` from now on;
 * `undefined` puts it back on stdout at LOG_LEVEL.
 *
 * @example
 * const lines: string[] = [];
 * captureOpsLogs({ write: (line) => lines.push(line) }, "info");
 */
export function captureOpsLogs(
  destination: { write(line: string): void } | undefined,
  level?: string,
): void {
  processState.__opsLogDestination = destination;
  processState.__opsLogLevel = destination ? level : undefined;
  processState.__opsLogger = undefined;
}

/** The next getMetrics() starts a new registry, reading METRICS_ENABLED again (lib/ops/metrics.ts). */
export function forgetMetrics(): void {
  processState.__opsMetrics = undefined;
}
