import "server-only";

/**
 * Retention: what the database forgets, and when. Without it every session ever started and
 * every refresh token ever spent stays forever (a year of rotations is millions of rows).
 *
 * The policy (`RetentionPolicy`, from PRUNE_* in docs/configuration.md):
 *
 * - A session is deleted once it has been over for `sessionGraceSeconds`: revoked, or past its
 *   idle or its absolute expiry. Its tokens go with it (ON DELETE CASCADE). Until then the
 *   sessions list and the inspector still show it, and its tokens still answer "revoked".
 *   A live session (not revoked, both expiries ahead) never matches: every rule compares a time
 *   that has already passed.
 * - A spent refresh token (`used_at` set) of a session that lives on is deleted once it has been
 *   spent for `spentTokenGraceSeconds`. Until then, presenting it is reuse: its family is revoked.
 *   After that it is an unknown token (401, the presenter is signed out, the family lives on).
 *   The window is at least the refresh grace (env.ts checks it), so the head's parent that the
 *   grace re-issue reads is never gone while the grace lasts, and by default it equals the idle
 *   timeout: a holder who has not presented a token for that long would have been signed out by
 *   the idle expiry in a session nobody stole.
 * - The head token (unspent) is never deleted on its own.
 *
 * How it runs: in batches of `batchSize` rows, one transaction each, found through indexes
 * (sessions by `revoked_at`, `absolute_expires_at`, `idle_expires_at`; tokens by `issued_at`,
 * which never changes, so a rotation's `used_at` update stays heap-only), for at most
 * `maxBatches` per run. Rows a rotation holds locked are skipped (SKIP LOCKED), never waited for.
 *
 * One at a time: each batch's transaction first takes `pg_try_advisory_xact_lock(PRUNE_LOCK_KEY)`.
 * A runner that does not get it stops (another instance, or `npm run db:prune`, is pruning).
 * IMPORTANT: the transaction-scoped variant, because through a transaction-mode pooler a session
 * lock (`pg_advisory_lock`) would stay on whichever server connection ran it, held for whoever
 * the pooler hands that connection to next, and its unlock could run on another connection.
 * The lock ends with the batch's transaction, wherever it ran.
 */
import { AUTH_EVENTS_RETENTION_DAYS, pruneAuthEvents } from "@/lib/auth/security-events";
import { getDb } from "@/lib/db/client";
import type { Env } from "@/lib/env";
import { getEnv } from "@/lib/env";
import { recordPrune } from "@/lib/ops/events";
import { isDraining } from "@/lib/shutdown";

/** The advisory lock every prune takes (an arbitrary constant: "jwt prune" on a phone keypad). */
export const PRUNE_LOCK_KEY = 57_877_863n;

export type RetentionPolicy = {
  sessionGraceSeconds: number;
  spentTokenGraceSeconds: number;
  batchSize: number;
  /** Batches per run: one run's work is bounded, the next run carries on. */
  maxBatches: number;
};

/** The configured policy (docs/configuration.md, PRUNE_*). */
export function retentionPolicy(env: Env = getEnv()): RetentionPolicy {
  return {
    sessionGraceSeconds: env.PRUNE_SESSION_GRACE_SECONDS,
    spentTokenGraceSeconds: env.PRUNE_SPENT_TOKEN_GRACE_SECONDS,
    batchSize: env.PRUNE_BATCH_SIZE,
    maxBatches: 50,
  };
}

export type PruneResult = {
  sessions: number;
  spentTokens: number;
  /** Rows of the other tables the prune bounds (`EXTRA_PRUNE_STEPS`), by table. */
  other: Record<string, number>;
  batches: number;
  /** True when another runner held the lock, so this run stopped early. */
  busy: boolean;
};

type Tx = Parameters<Parameters<Awaited<ReturnType<typeof getDb>>["$transaction"]>[0]>[0];

/**
 * One more table the prune bounds, run in the same locked batches: returns the rows it deleted.
 * `auth_events` is the first: an account's security events, kept `AUTH_EVENTS_RETENTION_DAYS`.
 */
export type PruneStep = {
  table: string;
  run: (tx: Tx, now: Date, policy: RetentionPolicy) => Promise<number>;
};
export const EXTRA_PRUNE_STEPS: PruneStep[] = [
  {
    table: "auth_events",
    run: (tx, now, policy) =>
      pruneAuthEvents(
        new Date(now.getTime() - AUTH_EVENTS_RETENTION_DAYS * 86_400_000),
        policy.batchSize,
        tx,
      ),
  },
];

async function pruneEndedSessions(tx: Tx, cutoff: Date, limit: number): Promise<number> {
  return tx.$executeRaw`
    DELETE FROM sessions
    WHERE id IN (
      SELECT s.id FROM sessions s
      WHERE s.id IN (
        (SELECT id FROM sessions WHERE revoked_at < ${cutoff} ORDER BY revoked_at LIMIT ${limit})
        UNION
        (SELECT id FROM sessions WHERE absolute_expires_at < ${cutoff}
          ORDER BY absolute_expires_at LIMIT ${limit})
        UNION
        (SELECT id FROM sessions WHERE idle_expires_at < ${cutoff}
          ORDER BY idle_expires_at LIMIT ${limit})
      )
      AND (s.revoked_at < ${cutoff} OR s.absolute_expires_at < ${cutoff}
           OR s.idle_expires_at < ${cutoff})
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )`;
}

async function pruneSpentTokens(tx: Tx, cutoff: Date, limit: number): Promise<number> {
  // issued_at ≤ used_at, so every token spent before the cutoff was issued before it too.
  return tx.$executeRaw`
    DELETE FROM refresh_tokens
    WHERE id IN (
      SELECT id FROM refresh_tokens
      WHERE issued_at < ${cutoff} AND used_at < ${cutoff}
      ORDER BY issued_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )`;
}

/**
 * Deletes what the policy says may go, in bounded batches, if no other runner is at it.
 *
 * @example
 * const result = await pruneExpired({ now: new Date() });
 * // { sessions: 120, spentTokens: 48_000, other: {}, batches: 49, busy: false }
 */
export async function pruneExpired(
  options: { now?: Date; policy?: RetentionPolicy } = {},
): Promise<PruneResult> {
  const now = options.now ?? new Date();
  const policy = options.policy ?? retentionPolicy();
  const sessionCutoff = new Date(now.getTime() - policy.sessionGraceSeconds * 1000);
  const tokenCutoff = new Date(now.getTime() - policy.spentTokenGraceSeconds * 1000);
  const db = await getDb();
  const result: PruneResult = { sessions: 0, spentTokens: 0, other: {}, batches: 0, busy: false };
  while (result.batches < policy.maxBatches) {
    const batch = await db.$transaction(async (tx) => {
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(${PRUNE_LOCK_KEY}) AS locked`;
      if (!lock?.locked) return null;
      const sessions = await pruneEndedSessions(tx, sessionCutoff, policy.batchSize);
      const spentTokens = await pruneSpentTokens(tx, tokenCutoff, policy.batchSize);
      const other: Record<string, number> = {};
      for (const step of EXTRA_PRUNE_STEPS) other[step.table] = await step.run(tx, now, policy);
      return { sessions, spentTokens, other };
    });
    if (!batch) {
      result.busy = true;
      break;
    }
    result.batches += 1;
    result.sessions += batch.sessions;
    result.spentTokens += batch.spentTokens;
    for (const [table, n] of Object.entries(batch.other)) {
      result.other[table] = (result.other[table] ?? 0) + n;
    }
    const full = [batch.sessions, batch.spentTokens, ...Object.values(batch.other)].some(
      (n) => n >= policy.batchSize,
    );
    if (!full) break;
  }
  return result;
}

const globalForPrune = globalThis as typeof globalThis & { __pruneTimer?: NodeJS.Timeout };

/**
 * Prunes every PRUNE_INTERVAL_SECONDS on this instance (lib/server-start.ts), the first run after
 * a random part of the interval so instances started together spread out. Every instance runs
 * it; the advisory lock makes one at a time do the work. Never keeps the process alive, and stops
 * once the instance drains.
 */
export function startBackgroundPrune(env: Env = getEnv()): void {
  if (env.PRUNE_INTERVAL_SECONDS === 0 || globalForPrune.__pruneTimer) return;
  const intervalMs = env.PRUNE_INTERVAL_SECONDS * 1000;
  const tick = async () => {
    globalForPrune.__pruneTimer = undefined;
    if (isDraining()) return;
    const started = performance.now();
    try {
      const result = await pruneExpired();
      // One structured line and the per-table counters (lib/ops/events.ts), also when nothing
      // was due, so an operator sees the prune is alive.
      recordPrune({
        deleted: { sessions: result.sessions, refresh_tokens: result.spentTokens, ...result.other },
        durationMs: performance.now() - started,
      });
    } catch {
      // No message or error in the event: a message could carry connection details. The next
      // interval retries.
      recordPrune({ deleted: {}, durationMs: performance.now() - started, failed: true });
    }
    schedule(intervalMs);
  };
  const schedule = (delayMs: number) => {
    globalForPrune.__pruneTimer = setTimeout(() => void tick(), delayMs);
    globalForPrune.__pruneTimer.unref();
  };
  schedule(Math.floor(Math.random() * intervalMs));
}
