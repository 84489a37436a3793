/**
 * The one place that chooses the database driver: PostgreSQL through
 * `@prisma/adapter-pg` when DATABASE_URL is set, otherwise PGlite (real
 * PostgreSQL compiled to WASM, running in this process) persisted under
 * DATA_DIR. Both speak the same SQL, so one schema and one migration history
 * serve both. Used by the app, the migration command and the tests alike.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";

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
 * PGlite's settings, chosen rather than inherited.
 *
 * Memory: PGlite's own default is PostgreSQL's 128 MB of `shared_buffers`,
 * allocated inside the WASM heap of this (the web server's) process, for a
 * database that holds a few megabytes. 16 MB caches far more than this app's
 * working set; `work_mem` and `maintenance_work_mem` are capped for the same
 * reason (the app sorts little; migrations index tiny tables). `temp_buffers`
 * is unused here. Measured with `npm run bench` (see bench/README.md).
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

type PgliteCache = Map<string, Promise<PGlite>>;
const globalForPglite = globalThis as typeof globalThis & { __pglite?: PgliteCache };

/**
 * Opens (once per process and folder) the embedded database.
 *
 * IMPORTANT: PGlite allows one open instance per data folder, and its first
 * open takes seconds. The promise is cached on globalThis so hot reload and
 * parallel requests share it; a failed open is evicted so the next call retries.
 */
export function openPglite(dataDir: string): Promise<PGlite> {
  const cache = (globalForPglite.__pglite ??= new Map());
  let opening = cache.get(dataDir);
  if (!opening) {
    opening = (async () => {
      // PGlite creates its own folder but not the parent.
      await fs.mkdir(path.dirname(dataDir), { recursive: true });
      const pglite = new PGlite(dataDir, PGLITE_OPTIONS);
      await pglite.waitReady;
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
 * The Prisma driver adapter factory for a target.
 *
 * @example
 * const factory = await createAdapterFactory(chooseDatabase(getEnv()));
 * const prisma = new PrismaClient({ adapter: factory });
 */
export async function createAdapterFactory(
  target: DatabaseTarget,
): Promise<SqlMigrationAwareDriverAdapterFactory> {
  if (target.kind === "postgres") {
    return new PrismaPg({ connectionString: target.url });
  }
  return new PrismaPGlite(await openPglite(target.dataDir));
}
