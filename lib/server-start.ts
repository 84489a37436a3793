import "server-only";

import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { installShutdownHandlers } from "@/lib/shutdown";

/**
 * What a server process does once at start (instrumentation.ts): install the SIGTERM handler,
 * then warm the database. The warm-up is not awaited: a database that is down at start must not
 * keep the server from answering (requests then get 503 until it is back), and a failed open is
 * not cached (lib/db/client.ts), so the next request tries again.
 */
export async function startServerProcess(): Promise<void> {
  const env = getEnv();
  installShutdownHandlers(env.SHUTDOWN_TIMEOUT_MS);
  void getDb()
    .then((db) => db.$queryRaw`SELECT 1`)
    .catch((error: unknown) =>
      console.warn(`[db] warm-up failed: ${(error as Error).name}; requests will retry`),
    );
}
