import "server-only";

/**
 * Login throttling, shared by every app instance: the counters live in the
 * database (rate-limiter-flexible's Prisma store, table `rate_limits`), never
 * in one process's memory.
 *
 * Only failures count. Three limits, each with its own window:
 * - per account and address: 5 failures / 15 min. Stops guessing one
 *   password from one place, without letting that place lock the owner out
 *   elsewhere.
 * - per account: 20 failures / hour. Caps guessing spread over many
 *   addresses. Trade-off: someone who knows an email can keep that account
 *   throttled (never disabled: the window always ends). See SECURITY.md.
 * - per address: 50 failures / hour. Slows credential stuffing across many
 *   accounts from one address.
 * The address is known only behind a trusted proxy (TRUST_PROXY=1); without
 * one, only the per-account limit applies.
 *
 * Unknown emails are counted like wrong passwords, so the 429 reveals nothing
 * about which emails have accounts.
 */
import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import { TooManyLoginAttempts } from "@/lib/auth/errors";
import { type Db, getDb } from "@/lib/db/client";

type Limit = { name: string; points: number; durationSeconds: number };

export const LOGIN_LIMITS = {
  accountAndAddress: { name: "login:account+ip", points: 5, durationSeconds: 15 * 60 },
  account: { name: "login:account", points: 20, durationSeconds: 60 * 60 },
  address: { name: "login:ip", points: 50, durationSeconds: 60 * 60 },
} as const satisfies Record<string, Limit>;

const globalForLimiters = globalThis as typeof globalThis & {
  __loginLimiters?: { db: Db; limiters: Map<string, RateLimiterPrisma> };
};

async function limiterFor(limit: Limit): Promise<RateLimiterPrisma> {
  const db = await getDb();
  let cache = globalForLimiters.__loginLimiters;
  if (cache?.db !== db) cache = globalForLimiters.__loginLimiters = { db, limiters: new Map() };
  let limiter = cache.limiters.get(limit.name);
  if (!limiter) {
    limiter = new RateLimiterPrisma({
      storeClient: db,
      tableName: "rateLimit",
      keyPrefix: limit.name,
      points: limit.points,
      duration: limit.durationSeconds,
    });
    cache.limiters.set(limit.name, limiter);
  }
  return limiter;
}

function keysFor(email: string, ip: string | null): Array<[Limit, string]> {
  const keys: Array<[Limit, string]> = [[LOGIN_LIMITS.account, email]];
  if (ip) {
    keys.push([LOGIN_LIMITS.accountAndAddress, `${email}|${ip}`]);
    keys.push([LOGIN_LIMITS.address, ip]);
  }
  return keys;
}

/**
 * Throws TooManyLoginAttempts (429, Retry-After) when any limit is used up.
 * Call before checking the password, so a throttled guess costs no hash.
 *
 * @example
 * await assertLoginAllowed(input.email, client.ip);
 */
export async function assertLoginAllowed(email: string, ip: string | null): Promise<void> {
  let waitMs = 0;
  for (const [limit, key] of keysFor(email, ip)) {
    const state = await (await limiterFor(limit)).get(key);
    if (state && state.consumedPoints >= limit.points)
      waitMs = Math.max(waitMs, state.msBeforeNext);
  }
  if (waitMs > 0) throw new TooManyLoginAttempts(Math.max(1, Math.ceil(waitMs / 1000)));
}

/** Counts one failed login against every limit that applies. */
export async function recordLoginFailure(email: string, ip: string | null): Promise<void> {
  for (const [limit, key] of keysFor(email, ip)) {
    try {
      await (await limiterFor(limit)).consume(key);
    } catch (error) {
      // consume() rejects with a RateLimiterRes once the limit is exceeded:
      // that is the expected outcome here, not a failure.
      if (!(error instanceof RateLimiterRes)) throw error;
    }
  }
}

/** After a successful login: forget this address's failures for the account. */
export async function clearLoginFailures(email: string, ip: string | null): Promise<void> {
  if (!ip) return;
  await (await limiterFor(LOGIN_LIMITS.accountAndAddress)).delete(`${email}|${ip}`);
}
