import "server-only";

import {
  type OpenDatabase,
  type SqlRunner,
  chooseDatabase,
  closePglite,
  describeDatabase,
  openDatabase,
} from "@/lib/db/adapter";
import { PrismaClient } from "@/lib/db/generated/client";
import { type Env, getEnv } from "@/lib/env";
import { registerShutdownCloser } from "@/lib/shutdown";
import { getLogger } from "@/lib/ops/logger";

export type Db = PrismaClient;

type DbCache = { key: string; opened: Promise<OpenDatabase>; client: Promise<PrismaClient> };
const globalForDb = globalThis as typeof globalThis & { __db?: DbCache };

/**
 * Every wait on the database is bounded (docs/configuration.md), so a stalled or unreachable
 * database costs a request a few seconds and a 503 (lib/http/respond.ts), never a hung worker:
 *
 * - opening a connection: `DB_CONNECT_TIMEOUT_MS` (node-postgres);
 * - one statement: `statement_timeout`, cancelled by the server itself, so work a client has
 *   given up on stops; `query_timeout` a little later on the client side, for a server that
 *   stopped answering altogether;
 * - waiting for a lock: `lock_timeout` (a row or table lock held by someone else);
 * - a connection left idle inside a transaction: `idle_in_transaction_session_timeout`;
 * - PGlite's queue (one statement or transaction at a time): `DB_STATEMENT_TIMEOUT_MS` for a
 *   statement outside a transaction (lib/db/bounded-pglite.ts);
 * - an interactive transaction: Prisma's `maxWait` (getting a connection, or PGlite's single
 *   one: PGlite runs one transaction at a time, so this is its queue's bound) and `timeout`
 *   (the whole transaction, rolled back when it passes).
 *
 * IMPORTANT: with `DB_POOL_MODE=transaction` the three server-side timeouts are left out of the
 * connection's startup parameters: PgBouncer refuses any startup parameter it does not know
 * (SQLSTATE 08P01), and a session setting would not follow this client from one transaction to
 * the next anyway. The pooler sets them on each server connection it opens (`connect_query` in
 * deploy/pgbouncer.ini), so every statement still runs under them; `query_timeout` stays here.
 *
 * IMPORTANT: `maxWait` must outlast a burst queued behind a cold start (see ARCHITECTURE.md,
 * "Faults"): Prisma's default of 2 s turned a burst of registrations right after a restart into
 * P2028 errors.
 */
export function databaseBounds(env: Env) {
  const serverSide =
    env.DB_POOL_MODE === "transaction"
      ? {}
      : {
          statement_timeout: env.DB_STATEMENT_TIMEOUT_MS,
          lock_timeout: env.DB_LOCK_TIMEOUT_MS,
          idle_in_transaction_session_timeout: env.DB_IDLE_TRANSACTION_TIMEOUT_MS,
        };
  return {
    pool: {
      max: env.DB_POOL_SIZE,
      connectionTimeoutMillis: env.DB_CONNECT_TIMEOUT_MS,
      query_timeout: env.DB_STATEMENT_TIMEOUT_MS + 1_000,
      ...serverSide,
      keepAlive: true,
    },
    transactionOptions: {
      maxWait: env.DB_TRANSACTION_MAX_WAIT_MS,
      timeout: env.DB_TRANSACTION_TIMEOUT_MS,
    },
  };
}

/**
 * The process's Prisma client, on whichever database the configuration names.
 *
 * IMPORTANT: cached on globalThis, so development hot reload does not open a
 * new pool (or, for PGlite, a second instance on the same folder) per edit.
 * A failed open is not cached.
 *
 * @example
 * const db = await getDb();
 * const user = await db.user.findUnique({ where: { id } });
 */
export function getDb(): Promise<PrismaClient> {
  return openCached().client;
}

/**
 * The driver under the process's Prisma client, for the hand-written hot paths (see `SqlRunner`
 * in lib/db/adapter.ts): the same pool, bounds and cache as `getDb`.
 *
 * @example
 * const run = await getSqlRunner();
 * const rows = await run<{ id: string }>({ name: "find_session", text: "SELECT id FROM sessions WHERE id = $1::uuid", values: [id] });
 */
export async function getSqlRunner(): Promise<SqlRunner> {
  return (await openCached().opened).run;
}

function openCached(): DbCache {
  const env = getEnv();
  const target = chooseDatabase(env);
  const bounds = databaseBounds(env);
  // The bounds are part of the key, so a test that changes them gets a client that has them.
  const key = `${describeDatabase(target)} ${JSON.stringify(bounds)}`;
  if (globalForDb.__db?.key === key) return globalForDb.__db;
  const { pool, transactionOptions } = bounds;
  const opened = openDatabase(target, {
    pool,
    // Prepared once per connection where connections are ours; unnamed through a
    // transaction-mode pooler (lib/db/adapter.ts `SqlStatement`).
    namedStatements: env.DB_POOL_MODE === "direct",
    pgliteStatementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    // A restarted or killed server drops idle connections; the pool replaces them. Only the
    // error's code is logged (messages can carry connection details).
    onPoolError: (error) =>
      getLogger().warn(
        { component: "db" },
        `connection lost: ${(error as { code?: string }).code ?? error.name}`,
      ),
  });
  const client = opened.then(
    ({ factory }) => new PrismaClient({ adapter: factory, transactionOptions }),
  );
  const cached: DbCache = { key, opened, client };
  client.catch(() => {
    if (globalForDb.__db === cached) globalForDb.__db = undefined;
  });
  globalForDb.__db = cached;
  registerShutdownCloser("database", disconnectDb);
  return cached;
}

/** Disconnects the cached client (tests switch databases between suites; shutdown closes it). */
export async function disconnectDb(): Promise<void> {
  const cached = globalForDb.__db;
  globalForDb.__db = undefined;
  if (!cached) return;
  const client = await cached.client.catch(() => undefined);
  await client?.$disconnect();
  await (await cached.opened.catch(() => undefined))?.close();
  const target = chooseDatabase(getEnv());
  if (target.kind === "pglite") await closePglite(target.dataDir);
}
