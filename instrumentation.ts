/**
 * Next.js calls `register` once when a server process starts (Next 16: `instrumentation.ts`
 * at the project root), and awaits it before the first request. On the Node.js runtime it
 * checks the configuration and the signing keys, installs the graceful shutdown
 * (lib/shutdown.ts) and opens the database in the background, so the first burst of requests
 * after a restart does not queue behind the database's start-up (ARCHITECTURE.md, "Faults").
 * A configuration error ends the process there, with the message that says what to fix
 * (lib/server-start.ts).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { checkConfigurationOrExit, startServerProcess } = await import("@/lib/server-start");
  await checkConfigurationOrExit();
  await startServerProcess();
}
