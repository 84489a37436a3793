import "server-only";

import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { installShutdownHandlers } from "@/lib/shutdown";

/**
 * What a server process does once at start (instrumentation.ts; Next awaits it before the
 * first request): install the SIGTERM handler, then warm the database.
 *
 * IMPORTANT: the warm-up is what keeps a burst right after a restart from failing. A cold
 * instance spends seconds loading Prisma's query compiler and opening its first connections,
 * with the event loop busy; every interactive transaction that started waiting meanwhile has its
 * `maxWait` timer fire before the connection it waits for is handed over (timers run before I/O
 * callbacks), so they all failed at once with P2028 (ARCHITECTURE.md, "Faults"). Warming here
 * moves that cost before the first request. It is bounded by DB_CONNECT_TIMEOUT_MS: a database
 * that is down at start must not keep the server from starting (requests then get 503 until it
 * is back, and a failed open is not cached, lib/db/client.ts).
 */
export async function startServerProcess(): Promise<void> {
  const env = getEnv();
  installShutdownHandlers(env.SHUTDOWN_TIMEOUT_MS);
  const warm = (async () => {
    const db = await getDb();
    await db.$queryRaw`SELECT 1`;
    await db.$transaction(async (tx) => tx.$queryRaw`SELECT 1`);
  })().catch((error: unknown) =>
    console.warn(`[db] warm-up failed: ${(error as Error).name}; requests will retry`),
  );
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, env.DB_CONNECT_TIMEOUT_MS);
  });
  await Promise.race([warm, bound]);
  clearTimeout(timer);
}
