/**
 * `npm run db:prune`: deletes what the retention policy says may go (lib/auth/retention.ts,
 * PRUNE_* in docs/configuration.md) on the database DATABASE_URL names (or the embedded one),
 * batch after batch until nothing is left, and prints what it deleted.
 *
 * Safe while the app runs, and beside the instances' own background prunes: every batch takes
 * the same transaction-scoped advisory lock, so whoever does not get it stops. Exits 0 when it
 * pruned or found another runner at work, 1 on an error.
 *
 *   npm run db:prune
 *   PRUNE_SESSION_GRACE_SECONDS=86400 npm run db:prune   # keep ended sessions one day
 */
import { ConfigError, getEnv } from "../lib/env";

async function main(): Promise<void> {
  const env = getEnv();
  const { pruneExpired, retentionPolicy } = await import("../lib/auth/retention");
  const { disconnectDb } = await import("../lib/db/client");
  const { chooseDatabase, describeDatabase } = await import("../lib/db/adapter");
  console.log(`[prune] ${describeDatabase(chooseDatabase(env))}`);
  try {
    const result = await pruneExpired({
      policy: { ...retentionPolicy(env), maxBatches: Number.MAX_SAFE_INTEGER },
    });
    const other = Object.entries(result.other).map(([table, n]) => `, ${n} ${table}`);
    console.log(
      `[prune] deleted ${result.sessions} ended session(s), ${result.spentTokens} spent token(s)` +
        `${other.join("")} in ${result.batches} batch(es)`,
    );
    if (result.busy) console.log("[prune] another runner holds the prune lock; it carries on.");
  } finally {
    await disconnectDb();
  }
}

main().catch((error: unknown) => {
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } })
    .meta?.driverAdapterError?.cause?.originalCode;
  if (cause === "42P01") {
    console.error("[prune] the database has no tables yet: run `npm run db:migrate` first.");
    process.exit(1);
  }
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
