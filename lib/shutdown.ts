import "server-only";

/**
 * Graceful shutdown: SIGTERM finishes what is in flight, refuses what is new, closes the
 * database, and exits within SHUTDOWN_TIMEOUT_MS whatever happens.
 *
 * States: serving → draining (on SIGTERM/SIGINT) → closing (no request in flight, or the bound
 * passed) → exit.
 *
 * - serving: requests are counted in and out (`trackRequest`, called by `withErrorHandling`).
 * - draining: `next start`'s own handler has stopped accepting connections, but a client with a
 *   keep-alive connection can still send requests on it, and a busy client never lets it go idle:
 *   that is what made shutdown take 17 s under load. So every API request that arrives now is
 *   refused with 503 ServiceUnavailable + Retry-After (the browser wrapper keeps its session
 *   and tries again, reaching another instance or this one restarted), and every answer carries
 *   `Connection: close`, so each connection ends after the response it is carrying.
 * - closing: the registered closers run (the database pool or PGlite; a LISTEN connection
 *   registers its own with `registerShutdownCloser`), each bounded, then the process exits.
 *
 * The race it prevents: Next's handler exits as soon as the last connection closes, which can be
 * before our closers have run. Requests answered while draining therefore register the shutdown
 * itself with `after()`, which Next awaits before it exits.
 */
import { getLogger } from "@/lib/ops/logger";
type Closer = () => Promise<void>;

type ShutdownState = {
  closers: Map<string, Closer>;
  inFlight: number;
  draining: boolean;
  idle: Array<() => void>;
  done?: Promise<void>;
  installed: boolean;
};

const globalForShutdown = globalThis as typeof globalThis & { __shutdown?: ShutdownState };
function state(): ShutdownState {
  return (globalForShutdown.__shutdown ??= {
    closers: new Map(),
    inFlight: 0,
    draining: false,
    idle: [],
    installed: false,
  });
}

/**
 * Registers something to close at shutdown, after the last request has finished. A second
 * registration under the same name replaces the first.
 *
 * @example
 * registerShutdownCloser("revocation-listener", () => listener.end());
 */
export function registerShutdownCloser(name: string, close: Closer): void {
  state().closers.set(name, close);
}

/** True once SIGTERM (or SIGINT) has arrived: new requests are refused. */
export function isDraining(): boolean {
  return state().draining;
}

/**
 * Counts a request in; the returned function counts it out. The shutdown waits for the count
 * to reach zero (or for its bound) before closing the database.
 */
export function trackRequest(): () => void {
  const s = state();
  s.inFlight += 1;
  let finished = false;
  return () => {
    if (finished) return;
    finished = true;
    s.inFlight -= 1;
    if (s.inFlight === 0) for (const wake of s.idle.splice(0)) wake();
  };
}

/** Resolves when the shutdown has closed everything (never, while serving). */
export function shutdownFinished(): Promise<void> {
  return state().done ?? new Promise(() => {});
}

async function runClosers(s: ShutdownState, boundMs: number): Promise<void> {
  await Promise.all(
    [...s.closers].map(async ([name, close]) => {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), boundMs);
      });
      try {
        const outcome = await Promise.race([close().then(() => "closed" as const), bound]);
        if (outcome === "timeout")
          getLogger().warn({ component: "shutdown" }, `${name} did not close in time`);
      } catch (error) {
        getLogger().warn(
          { component: "shutdown" },
          `closing ${name} failed: ${(error as Error).name}`,
        );
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/**
 * Starts draining: waits for in-flight requests (at most `timeoutMs` in all), closes what was
 * registered, and calls `exit`. Exported for tests; the app calls it through the signal handler.
 */
export function beginShutdown(options: {
  timeoutMs: number;
  exit: (code: number) => void;
  exitCode?: number;
}): Promise<void> {
  const s = state();
  if (s.done) return s.done;
  s.draining = true;
  const startedAt = Date.now();
  const hardStop = setTimeout(() => {
    getLogger().warn(
      { component: "shutdown" },
      `still busy after ${options.timeoutMs} ms; exiting anyway`,
    );
    options.exit(1);
  }, options.timeoutMs);
  hardStop.unref();
  s.done = (async () => {
    if (s.inFlight > 0) await new Promise<void>((resolve) => s.idle.push(resolve));
    const left = Math.max(100, options.timeoutMs - (Date.now() - startedAt));
    await runClosers(s, left);
    clearTimeout(hardStop);
    getLogger().info(
      { component: "shutdown" },
      `drained and closed in ${Date.now() - startedAt} ms`,
    );
    options.exit(options.exitCode ?? 0);
  })();
  return s.done;
}

/**
 * Installs the SIGTERM/SIGINT handlers once per process (instrumentation.ts calls this when the
 * Node.js server starts). `next start` keeps its own handlers, which stop accepting connections
 * and exit when the server has closed; these make that quick and close the database first.
 */
export function installShutdownHandlers(timeoutMs: number): void {
  const s = state();
  if (s.installed) return;
  s.installed = true;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      getLogger().info({ component: "shutdown" }, `${signal}: draining ${s.inFlight} request(s)`);
      void beginShutdown({
        timeoutMs,
        exit: (code) => process.exit(code),
        exitCode: signal === "SIGTERM" ? 143 : 130,
      });
    });
  }
}
