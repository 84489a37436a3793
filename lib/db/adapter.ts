/**
 * The one place that chooses the database driver: PostgreSQL through
 * `@prisma/adapter-pg` when DATABASE_URL is set, otherwise PGlite (real
 * PostgreSQL compiled to WASM, running in this process) persisted under
 * DATA_DIR. Both speak the same SQL, so one schema and one migration history
 * serve both. Used by the app, the migration command and the tests alike.
 */
import fs from "node:fs/promises";
import path from "node:path";
import v8 from "node:v8";
import { PGlite, parse as pgliteParse, protocol as pgliteProtocol } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg, { type PoolConfig } from "pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { boundPgliteStatements, boundedPgliteWait } from "./bounded-pglite";

export type DatabaseTarget =
  { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string };

/**
 * Describes which database a configuration names.
 *
 * @example
 * chooseDatabase({ DATABASE_URL: undefined, dataDir: "/app/.data" });
 * // { kind: "pglite", dataDir: "/app/.data/pglite" }
 */
export function chooseDatabase(config: { DATABASE_URL?: string; dataDir: string }): DatabaseTarget {
  if (config.DATABASE_URL) return { kind: "postgres", url: config.DATABASE_URL };
  return { kind: "pglite", dataDir: path.join(config.dataDir, "pglite") };
}

/** Where credentials could leak into a log line, show only the host and database. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.kind === "pglite") return `embedded PGlite at ${target.dataDir}`;
  const url = new URL(target.url);
  return `PostgreSQL at ${url.host}${url.pathname}`;
}

/**
 * Makes a folder and everything in it private to this process's user: folders 0700, files 0600.
 * Symbolic links are left alone (chmod would follow them out of the folder).
 *
 * @example
 * await makePrivate("/app/.data"); // the embedded database holds password hashes
 */
export async function makePrivate(folder: string): Promise<void> {
  await fs.chmod(folder, 0o700);
  const entries = await fs.readdir(folder, { recursive: true, withFileTypes: true });
  await Promise.all(
    entries.map((entry) => {
      if (entry.isSymbolicLink()) return undefined;
      const mode = entry.isDirectory() ? 0o700 : 0o600;
      return fs.chmod(path.join(entry.parentPath, entry.name), mode);
    }),
  );
}

/**
 * From now on, files this process creates are private to its user (umask 077).
 *
 * IMPORTANT: PGlite writes its files through Emscripten's NODEFS, which creates them 0666 and
 * leaves the rest to the umask: with the usual 022 the database (password hashes, refresh-token
 * hashes, its WAL) is readable by every local user. Not available in worker threads, where the
 * chmod in `openPglite` still covers every file that exists when the database opens.
 */
function restrictNewFilesToOwner(): void {
  try {
    process.umask(0o077);
  } catch {
    // Worker threads cannot change the process umask.
  }
}

/**
 * PGlite's settings, chosen rather than inherited.
 *
 * Memory: PGlite's own default is PostgreSQL's 128 MB of `shared_buffers`,
 * allocated inside the WASM heap of this (the web server's) process, for a
 * database that holds a few megabytes. 16 MB caches far more than this app's
 * working set; `work_mem` and `maintenance_work_mem` are capped for the same
 * reason (the app sorts little; migrations index tiny tables). `temp_buffers`
 * is unused here. Measured with `npm run bench` (see docs/benchmark.md).
 *
 * Durability (IMPORTANT): PGlite always runs with `fsync = off` (its default
 * start parameters pass `-F`), and its files are ordinary files under DATA_DIR,
 * written through the operating system. A committed transaction has been
 * written to the WAL file (in the kernel's page cache) before the client
 * hears "OK", so a crash of this process loses nothing committed; a crash of
 * the machine or a power cut can lose the last seconds of commits and, as with
 * any PostgreSQL running without fsync, can leave the data folder damaged.
 * Production data that matters belongs on PostgreSQL (DATABASE_URL).
 * `relaxedDurability` stays off: on a Node filesystem it changes nothing, and
 * it would let a query return before an in-browser store had synced.
 *
 * `startParams` replaces PGlite's defaults rather than adding to them, so the
 * defaults come first.
 */
export const PGLITE_SETTINGS = {
  shared_buffers: "16MB",
  work_mem: "2MB",
  maintenance_work_mem: "16MB",
  temp_buffers: "1MB",
} as const;

const PGLITE_OPTIONS = {
  startParams: [
    ...PGlite.defaultStartParams,
    ...Object.entries(PGLITE_SETTINGS).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
  ],
  relaxedDurability: false,
};

/**
 * PGlite's WebAssembly is compiled by V8's baseline compiler (Liftoff) only.
 *
 * By default V8 also recompiles a module's hot functions with its optimising compiler
 * (TurboFan) in the background. For PGlite's module that costs memory that never comes back:
 * about 30 MiB left in the malloc heap by the compiler and the optimised code beside the
 * baseline code. Measured with `npm run bench:focus`, the same build twice side by side: peak
 * resident memory 294 → 208 MiB, rotations 0.297× → 0.331× of the baseline per CPU-second (the
 * optimising compiler's own CPU counts against the server; this app's statements are small, and
 * a one-row upsert costs about 25 µs more in baseline code; docs/benchmark.md).
 *
 * IMPORTANT: V8 flags are process-wide, and Node documents that changing them after start may
 * have unpredictable effects. This one only chooses the tier of WebAssembly compiled from now
 * on (PGlite's, and Prisma's query compiler if it compiles later); JavaScript is untouched.
 * It is set before the first PGlite opens, once per process.
 */
function compileWebAssemblyWithBaselineTierOnly(): void {
  v8.setFlagsFromString("--liftoff-only");
}

type PgliteCache = Map<string, Promise<PGlite>>;
const globalForPglite = globalThis as typeof globalThis & { __pglite?: PgliteCache };

/**
 * Opens (once per process and folder) the embedded database.
 *
 * IMPORTANT: PGlite allows one open instance per data folder, and its first
 * open takes seconds. The promise is cached on globalThis so hot reload and
 * parallel requests share it; a failed open is evicted so the next call retries.
 *
 * The database folder and everything in it are made private to this user before the database
 * opens and again once it has created its files, and so is DATA_DIR itself (the folder only: it
 * is a setting, and a DATA_DIR of `.` must not chmod the whole project).
 */
export function openPglite(dataDir: string): Promise<PGlite> {
  const cache = (globalForPglite.__pglite ??= new Map());
  let opening = cache.get(dataDir);
  if (!opening) {
    opening = (async () => {
      restrictNewFilesToOwner();
      // PGlite creates its own folder but not the parent.
      await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o700 });
      await fs.chmod(path.dirname(dataDir), 0o700);
      await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
      await makePrivate(dataDir);
      compileWebAssemblyWithBaselineTierOnly();
      const pglite = new PGlite(dataDir, PGLITE_OPTIONS);
      await pglite.waitReady;
      await makePrivate(dataDir);
      return pglite;
    })();
    opening.catch(() => cache.delete(dataDir));
    cache.set(dataDir, opening);
  }
  return opening;
}

/** Closes a cached embedded database (tests and CLI commands call this before exiting). */
export async function closePglite(dataDir: string): Promise<void> {
  const cache = globalForPglite.__pglite;
  const opening = cache?.get(dataDir);
  if (!opening) return;
  cache?.delete(dataDir);
  const pglite = await opening.catch(() => undefined);
  await pglite?.close();
}

/**
 * One statement sent straight to the driver Prisma uses (the same pool, or the same embedded
 * database), with positional parameters ($1, $2, …); rows come back as objects, with
 * PostgreSQL's types parsed by the driver (timestamptz → Date, int → number).
 *
 * IMPORTANT: Prisma owns the model, the migrations and every query but the few hot paths that
 * measured faster this way (lib/auth/session-statements.ts: the rotation and a login's new
 * session; lib/auth/throttle.ts: the throttle's counters). A statement here
 * is hand-written SQL: name every column, cast every parameter.
 */
export type SqlRunner = <Row>(statement: SqlStatement) => Promise<Row[]>;

export type SqlStatement = {
  /**
   * Names the statement for PGlite, which parses and plans it once per embedded database, then
   * only binds and executes it. One name, one text.
   *
   * On PostgreSQL the name is used as the driver's prepared-statement name (parsed and planned
   * once per connection) only with `namedStatements` (lib/db/client.ts: DB_POOL_MODE=direct).
   * IMPORTANT: through a transaction-mode pooler (DB_POOL_MODE=transaction) the statement goes
   * unnamed (Parse, Bind, Execute, Sync in one round trip, as Prisma's own queries do): a pooler
   * that does not track prepared statements (PgBouncer before 1.21) hands the next transaction
   * another server connection, where a named statement is missing. The cost of unnamed, measured
   * by `npm run bench`'s deployment rows: PostgreSQL parses and plans on every call, about 2.4×
   * its CPU per rotation (1120 µs against 473 µs); the app's own CPU is the same.
   */
  name: string;
  /** Every parameter cast in the text (`$1::uuid`): the casts are its types. */
  text: string;
  /** Sent as text; PostgreSQL converts each to its parameter's type. */
  values: Array<string | number | null>;
};

export type DatabaseOptions = {
  /** PostgreSQL pool settings (size, timeouts) beside the URL; the app's come from lib/db/client.ts. */
  pool?: Omit<PoolConfig, "connectionString">;
  /** Called with a pool or idle-connection error (a restarted server); the pool replaces the connection. */
  onPoolError?: (error: Error) => void;
  /**
   * PostgreSQL: send the hot paths' statements named (prepared once per connection). Only on a
   * direct or session-mode connection; never through a transaction-mode pooler (`SqlStatement`).
   */
  namedStatements?: boolean;
  /** PGlite: how long one statement outside a transaction may wait in its queue and run. */
  pgliteStatementTimeoutMs?: number;
};

export type OpenDatabase = {
  factory: SqlMigrationAwareDriverAdapterFactory;
  run: SqlRunner;
  /** Ends the PostgreSQL pool (Prisma's `$disconnect` leaves a pool it did not make alone). */
  close: () => Promise<void>;
};

/**
 * The driver for a target, shared by Prisma's adapter and the hand-written hot paths.
 *
 * @example
 * const { factory, run } = await openDatabase(chooseDatabase(getEnv()));
 * const prisma = new PrismaClient({ adapter: factory });
 */
export async function openDatabase(
  target: DatabaseTarget,
  options: DatabaseOptions = {},
): Promise<OpenDatabase> {
  if (target.kind === "postgres") {
    const pool = new pg.Pool({ ...options.pool, connectionString: target.url });
    // IMPORTANT: a pool without an 'error' listener crashes the process when an idle
    // connection drops; this one may serve the hot paths before Prisma ever connects.
    pool.on("error", (error) => options.onPoolError?.(error));
    let ended = false;
    return {
      factory: new PrismaPg(pool, { onConnectionError: options.onPoolError }),
      // Named only when the connection is the client's own for its life: `SqlStatement.name`.
      run: options.namedStatements
        ? async <Row>({ name, text, values }: SqlStatement) =>
            (await pool.query<Row & pg.QueryResultRow>({ name, text, values })).rows
        : async <Row>({ text, values }: SqlStatement) =>
            (await pool.query<Row & pg.QueryResultRow>({ text, values })).rows,
      close: async () => {
        if (ended) return;
        ended = true;
        await pool.end();
      },
    };
  }
  const pglite = await openPglite(target.dataDir);
  const factory = new PrismaPGlite(pglite);
  const waitMs = options.pgliteStatementTimeoutMs;
  const run = preparedPgliteRunner(pglite);
  return {
    factory: waitMs ? boundPgliteStatements(factory, waitMs) : factory,
    run: waitMs ? (statement) => boundedPgliteWait(run(statement), waitMs) : run,
    close: async () => {},
  };
}

function concatMessages(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Which statements each embedded database has parsed (a reopened one starts with none). */
const preparedOn = new WeakMap<PGlite, Set<string>>();

/**
 * PGlite's `query` sends six protocol messages, each its own pass through the WebAssembly
 * PostgreSQL (parse, describe, bind, describe, execute, sync), and parses and plans the text
 * every time. Here a statement is parsed once per database under its name; each call is one
 * pass (bind, describe, execute, sync) that reuses the plan. Measured on the rotation: 0.5 ms of
 * CPU instead of 1.8 ms (docs/benchmark.md).
 *
 * IMPORTANT: it takes both of PGlite's locks in the order `query` takes them, the transaction's
 * and then the statement's, so it never runs inside someone else's open transaction (Prisma's
 * interactive transactions hold the first between their statements).
 */
function preparedPgliteRunner(pglite: PGlite): SqlRunner {
  const { serialize } = pgliteProtocol;
  // Shared by every runner of this database (a client with other bounds makes another runner).
  const prepared = preparedOn.get(pglite) ?? new Set<string>();
  preparedOn.set(pglite, prepared);
  return <Row>({ name, text, values }: SqlStatement) =>
    pglite._runExclusiveTransaction(() =>
      pglite._runExclusiveQuery(async () => {
        if (!prepared.has(name)) {
          // On its own pass: a failed bind below must not leave it parsed but not recorded.
          await pglite.execProtocolStream(
            concatMessages([serialize.parse({ name, text }), serialize.sync()]),
          );
          prepared.add(name);
        }
        const results = await pglite.execProtocolStream(
          concatMessages([
            serialize.bind({
              statement: name,
              values: values.map((v) => (v === null ? null : String(v))),
            }),
            serialize.describe({ type: "P" }),
            serialize.execute({}),
            serialize.sync(),
          ]),
        );
        const [result] = pgliteParse.parseResults(results, pglite.parsers);
        return (result?.rows ?? []) as Row[];
      }),
    );
}

/**
 * The Prisma driver adapter factory for a target (migrations, scripts; the app uses
 * `openDatabase` through lib/db/client.ts).
 *
 * @example
 * const factory = await createAdapterFactory(chooseDatabase(getEnv()));
 * const prisma = new PrismaClient({ adapter: factory });
 */
export async function createAdapterFactory(
  target: DatabaseTarget,
  options: DatabaseOptions = {},
): Promise<SqlMigrationAwareDriverAdapterFactory> {
  if (target.kind === "postgres") {
    return new PrismaPg(
      { ...options.pool, connectionString: target.url },
      { onPoolError: options.onPoolError, onConnectionError: options.onPoolError },
    );
  }
  return (await openDatabase(target, options)).factory;
}
