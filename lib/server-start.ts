import "server-only";

import { getSigningKeys } from "@/lib/auth/keys";
import { startBackgroundPrune } from "@/lib/auth/retention";
import { getDb } from "@/lib/db/client";
import { ConfigError, configurationWarnings, getEnv, loadEnv } from "@/lib/env";
import { installShutdownHandlers } from "@/lib/shutdown";
import { getLogger } from "@/lib/ops/logger";

/**
 * Validates the configuration (lib/env.ts) and loads the signing keys (lib/auth/keys.ts) before
 * the first request. A ConfigError ends the process with exit code 1 and its message on stderr.
 *
 * IMPORTANT: Next 16 does not stop when `register()` throws: it logs the error and answers every
 * request with a bare 500, retrying `register` each time. A server that cannot sign a token or
 * would run with unsafe settings must not look alive to a supervisor or a load balancer, so this
 * exits instead. The message names the variable and what to do; it never contains a key.
 * Settings that are valid but likely a mistake (`configurationWarnings`) are printed, once.
 */
export async function checkConfigurationOrExit(): Promise<void> {
  try {
    const env = loadEnv();
    for (const warning of configurationWarnings(env)) console.warn(`[config] Warning: ${warning}`);
    await getSigningKeys();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`[config] ${error.message}`);
    console.error(
      "[config] The server did not start: fix the configuration above and start it again.",
    );
    process.exit(1);
  }
}

/**
 * What a server process does once at start (instrumentation.ts; Next awaits it before the
 * first request): install the SIGTERM handler, warm the database, then schedule the prune.
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
    getLogger().warn(
      { component: "db" },
      `warm-up failed: ${(error as Error).name}; requests will retry`,
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, env.DB_CONNECT_TIMEOUT_MS);
  });
  await Promise.race([warm, bound]);
  clearTimeout(timer);
  // Retention (lib/auth/retention.ts): on every instance, one at a time through an advisory lock.
  startBackgroundPrune(env);
}
