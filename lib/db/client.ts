import "server-only";

import {
  chooseDatabase,
  closePglite,
  createAdapterFactory,
  describeDatabase,
} from "@/lib/db/adapter";
import { PrismaClient } from "@/lib/db/generated/client";
import { getEnv } from "@/lib/env";

export type Db = PrismaClient;

type DbCache = { key: string; client: Promise<PrismaClient> };
const globalForDb = globalThis as typeof globalThis & { __db?: DbCache };

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
  const target = chooseDatabase(getEnv());
  const key = describeDatabase(target);
  if (globalForDb.__db?.key === key) return globalForDb.__db.client;
  const client = createAdapterFactory(target).then((adapter) => new PrismaClient({ adapter }));
  client.catch(() => {
    if (globalForDb.__db?.client === client) globalForDb.__db = undefined;
  });
  globalForDb.__db = { key, client };
  return client;
}

/** Disconnects the cached client (tests switch databases between suites). */
export async function disconnectDb(): Promise<void> {
  const cached = globalForDb.__db;
  globalForDb.__db = undefined;
  if (!cached) return;
  const client = await cached.client.catch(() => undefined);
  await client?.$disconnect();
  const target = chooseDatabase(getEnv());
  if (target.kind === "pglite") await closePglite(target.dataDir);
}
