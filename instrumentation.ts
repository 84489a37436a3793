/**
 * Next.js calls `register` once when a server process starts (Next 16: `instrumentation.ts`
 * at the project root), and awaits it before the first request. On the Node.js runtime it first
 * validates the configuration (lib/env.ts: a bad value stops the server here, with a message
 * that says what to fix), then installs the graceful shutdown (lib/shutdown.ts) and opens the
 * database in the background, so the first burst of requests after a restart does not queue
 * behind the database's start-up (ARCHITECTURE.md, "Faults").
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { loadEnv } = await import("@/lib/env");
  loadEnv();
  const { startServerProcess } = await import("@/lib/server-start");
  await startServerProcess();
}
