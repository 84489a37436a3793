/**
 * Not a command: helpers that build the app into its own folder and run it as
 * real `next start` processes, shared by the multi-instance test
 * (test/multi-instance) and the benchmark (bench/run.ts).
 *
 * IMPORTANT: every build here goes to a folder named by NEXT_DIST_DIR (see
 * next.config.js), never to the default `.next`, so a build for a test or a
 * benchmark never replaces the one a running dev or e2e server is using.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";

/** Environment overrides for a child process; `undefined` leaves a variable out. */
export type EnvOverrides = Record<string, string | undefined>;

function childEnv(overrides: EnvOverrides): NodeJS.ProcessEnv {
  const env: Record<string, string> = { NEXT_TELEMETRY_DISABLED: "1" };
  for (const [key, value] of Object.entries({ ...process.env, ...overrides })) {
    if (value !== undefined) env[key] = value;
  }
  return env as NodeJS.ProcessEnv;
}

export const PROJECT_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

/** Runs a command to completion in the project, printing its output only when it fails. */
export function runOrThrow(
  command: string,
  args: string[],
  env: EnvOverrides,
  cwd = PROJECT_ROOT,
): string {
  const result = spawnSync(command, args, {
    cwd,
    env: childEnv(env),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(" ")}\` failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/** The same, without blocking the event loop (so several can run at once). */
export function runAsyncOrThrow(
  command: string,
  args: string[],
  env: EnvOverrides,
  cwd = PROJECT_ROOT,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`\`${command} ${args.join(" ")}\` failed (exit ${code}):\n${output}`));
    });
  });
}

/**
 * `next build` into `distDir` (the Prisma client is generated at install).
 *
 * @example
 * buildApp(".next-multi");
 */
export function buildApp(distDir: string, cwd = PROJECT_ROOT): void {
  runOrThrow("npx", ["next", "build"], { NEXT_DIST_DIR: distDir }, cwd);
}

/** A TCP port nobody is listening on right now. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Makes a new, empty database on the PostgreSQL server `serverUrl` names and
 * returns its URL and a function that drops it.
 *
 * @example
 * const { url, drop } = await createScratchDatabase(process.env.DATABASE_URL!, "jwt_multi");
 */
export async function createScratchDatabase(
  serverUrl: string,
  prefix: string,
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now()}_${Math.random().toString(16).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** `npm run db:migrate`, the project's own migration command, against `databaseUrl`. */
export function migrateDatabase(databaseUrl: string): string {
  return runOrThrow("npm", ["run", "-s", "db:migrate"], { DATABASE_URL: databaseUrl });
}

/**
 * `npm run keys:generate`: a fresh key set, or with `rotateFrom` the old set
 * with a new key added second (stage 1 of a rotation).
 */
export function generateKeySet(rotateFrom?: string): string {
  const args = ["run", "-s", "keys:generate"];
  if (rotateFrom) args.push("--", "--rotate", rotateFrom);
  return runOrThrow("npm", args, {}).trim();
}

/**
 * The memory settings `npm start` gives the server (package.json's `start` script; keep the two
 * in step, test/lint/start-settings.test.ts checks it). Each is a default: a value already in the
 * environment wins, and NODE_OPTIONS of the caller comes after ours, so its flags win too.
 *
 * - `MALLOC_ARENA_MAX=2`, `MALLOC_MMAP_THRESHOLD_=131072`: glibc gives each hashing thread an
 *   arena and, after the first 19 MiB argon2id buffer is freed, raises its mmap threshold, so
 *   later buffers stay resident in those arenas (one per libuv thread). A fixed threshold maps
 *   and unmaps each buffer.
 * - `--max-old-space-size=160`: V8 otherwise lets the old generation grow to hundreds of MiB of
 *   garbage under load before it collects (850 pages of 256 KiB seen after a benchmark run).
 *   128 and 96 gave the same peak; 160 keeps a margin for live data.
 * - `--max-semi-space-size=8`: the young generation (two semi-spaces, 16 MiB each by default)
 *   grows to its maximum under load and stays resident. 8 MiB took 17 MiB off the PGlite
 *   server's peak with CPU per rotation and per login unchanged; 4 MiB took 37 but looked
 *   dearer on PostgreSQL (`npm run bench:focus`, side by side; docs/benchmark.md).
 */
export const SERVER_MEMORY_SETTINGS = {
  MALLOC_ARENA_MAX: "2",
  MALLOC_MMAP_THRESHOLD_: "131072",
  NODE_OPTIONS: "--max-old-space-size=160 --max-semi-space-size=8",
} as const;

function withServerMemorySettings(env: EnvOverrides): EnvOverrides {
  const inherited = { ...process.env, ...env };
  return {
    ...env,
    MALLOC_ARENA_MAX: inherited.MALLOC_ARENA_MAX ?? SERVER_MEMORY_SETTINGS.MALLOC_ARENA_MAX,
    MALLOC_MMAP_THRESHOLD_:
      inherited.MALLOC_MMAP_THRESHOLD_ ?? SERVER_MEMORY_SETTINGS.MALLOC_MMAP_THRESHOLD_,
    NODE_OPTIONS: `${SERVER_MEMORY_SETTINGS.NODE_OPTIONS} ${inherited.NODE_OPTIONS ?? ""}`.trim(),
  };
}

export type AppServer = {
  url: string;
  port: number;
  /** The `next-server` process itself (not a wrapper), for memory readings. */
  pid: number;
  logFile: string;
  stop: () => Promise<void>;
  /** Settles when the process has exited, with how it ended (fault tests kill and time it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/**
 * Starts one `next start` from a build folder and waits until `/api/health`
 * answers. With `prestart` (the default) it runs `npm start`'s migration step
 * first: on PostgreSQL that refuses to start while migrations are pending.
 *
 * @example
 * const a = await startApp({ distDir: ".next-multi", env: { DATABASE_URL }, logFile: "a.log" });
 * await fetch(`${a.url}/api/health`);
 * await a.stop();
 */
export async function startApp(options: {
  distDir: string;
  env: EnvOverrides;
  logFile: string;
  port?: number;
  prestart?: boolean;
  cwd?: string;
  healthPath?: string;
}): Promise<AppServer> {
  const cwd = options.cwd ?? PROJECT_ROOT;
  const port = options.port ?? (await findFreePort());
  const env: EnvOverrides = {
    NODE_ENV: "production",
    NEXT_DIST_DIR: options.distDir,
    PORT: String(port),
    ...options.env,
  };
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  if (options.prestart ?? true) {
    const out = await runAsyncOrThrow("npm", ["run", "-s", "db:prepare"], env, cwd);
    fs.writeFileSync(options.logFile, out);
  }
  const log = fs.openSync(options.logFile, "a");
  // Start Next's own binary (not `npm start`), so the pid is the server's; with `npm start`'s
  // memory settings, so it runs as a deployment does.
  const child: ChildProcess = spawn(
    process.execPath,
    // `-H` as `npm start` passes it: next start ignores HOSTNAME and would listen everywhere.
    [
      path.join(cwd, "node_modules/next/dist/bin/next"),
      "start",
      "-p",
      String(port),
      "-H",
      env.HOST ?? process.env.HOST ?? "127.0.0.1",
    ],
    { cwd, env: childEnv(withServerMemorySettings(env)), stdio: ["ignore", log, log] },
  );
  fs.closeSync(log);
  let exited = false;
  const exitedPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  child.on("exit", () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      throw new Error(
        `next start exited early; see ${options.logFile}:\n${readTail(options.logFile)}`,
      );
    }
    try {
      // Bounded: a server that accepts and never answers (a busy start) must not hang the caller.
      const response = await fetch(`${url}${options.healthPath ?? "/api/health"}`, {
        signal: AbortSignal.timeout(5_000),
      });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`next start did not become healthy in 60 s; see ${options.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, port, pid: child.pid!, logFile: options.logFile, stop, exited: exitedPromise };
}

function readTail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Peak resident memory of a process so far (Linux `VmHWM`), in MiB; null where unknown. */
export function readPeakRssMiB(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}
