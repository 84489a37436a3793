import "server-only";

/**
 * Test-only: forgets the state a process keeps between requests, so a test (or the benchmark)
 * can change configuration mid-run. Production modules keep that state on `globalThis` (hot
 * reload keeps it) and export no way to drop it; this module is the one place that does, and
 * nothing under app/, components/ or lib/ outside lib/dev may import it (eslint.config.mjs).
 *
 * The keys are the ones lib/env.ts, lib/auth/keys.ts and lib/shutdown.ts declare.
 */
const processState = globalThis as typeof globalThis & {
  __env?: unknown;
  __signingKeys?: unknown;
  __shutdown?: unknown;
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
