/**
 * The benchmark's measuring instruments: load generation (autocannon over
 * loopback), CPU and memory read from /proc, PostgreSQL's own CPU and
 * statement count, and the in-process CPU timings (auth step, argon2id,
 * token algorithms). Nothing here decides or reports; see run.ts.
 *
 * IMPORTANT: time CPU, not the wall clock, for anything CPU-bound. On a
 * shared machine a 25 ms computation can take 250 ms of wall time while it
 * waits for a core; its CPU time barely moves.
 */
import { type BenchKey, learnBenchNonce, signBenchProof } from "./dpop";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon, { type Client, type Options, type Result } from "autocannon";
import * as jose from "jose";
import type pg from "pg";
import { authenticateRequest } from "../lib/auth/authenticate";
import { hashPassword, verifyPassword } from "../lib/auth/passwords";
import { getRevocationListener } from "../lib/auth/revocation";
import { clearAccessTokenCache, signAccessToken } from "../lib/auth/tokens";
import { chooseDatabase, closePglite } from "../lib/db/adapter";
import { forgetEnv, forgetSigningKeys } from "../lib/dev/process-state";
import { runOrThrow } from "../scripts/app-server";
import { cpuMicrosPerOp, median } from "./stats";

/** Clock ticks per second of /proc/<pid>/stat's CPU counters. */
const CLOCK_TICKS =
  Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** A process and all its descendants, from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const seen: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    seen.push(next);
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${next}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tasks) {
      try {
        const children = fs.readFileSync(`/proc/${next}/task/${tid}/children`, "utf8").trim();
        if (children) queue.push(...children.split(/\s+/).map(Number));
      } catch {
        // thread gone
      }
    }
  }
  return seen;
}

/** CPU seconds (user + system, every thread) one process has used; 0 if it is gone. */
export function readCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of one process's main thread only (the thread whose id is the pid: the event loop,
 * and the embedded database, which runs on it); 0 if it is gone. The rest of the process's CPU
 * is its other threads: libuv's pool, where argon2id runs, and V8's GC and compiler threads.
 */
export function readMainThreadCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds of a server's whole process tree. */
export function readTreeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + readCpuSeconds(p), 0);
}

function readStatusKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Watches the resident memory of a server's process tree for the whole run:
 * samples the sum of VmRSS over the tree every `intervalMs`, and at the end
 * also reads each process's own peak (VmHWM), so a spike between samples in
 * the main process is not missed. The peak reported is the larger of the two.
 */
export class TreeMemoryWatch {
  private sampledPeakKiB = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly hwmKiB = new Map<number, number>();

  constructor(
    private readonly pid: number,
    intervalMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    let sum = 0;
    for (const p of processTree(this.pid)) {
      sum += readStatusKiB(p, "VmRSS");
      this.hwmKiB.set(p, Math.max(this.hwmKiB.get(p) ?? 0, readStatusKiB(p, "VmHWM")));
    }
    this.sampledPeakKiB = Math.max(this.sampledPeakKiB, sum);
  }

  /** Peak resident MiB so far (call before the server stops). */
  peakMiB(): { peak: number; processes: number } {
    this.sample();
    const hwmSum = [...this.hwmKiB.values()].reduce((a, b) => a + b, 0);
    return { peak: Math.max(this.sampledPeakKiB, hwmSum) / 1024, processes: this.hwmKiB.size };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------
// Load generation

export type Measurement = {
  rps: number;
  /** Requests per second of CPU the server's process tree used (all threads). */
  perCpuSecond: number;
  cpuSeconds: number;
  /** Of `cpuSeconds`, the server's main thread (readMainThreadCpuSeconds). */
  mainThreadCpuSeconds: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** Answers that were not 2xx, by status ("503": 4). */
  statuses: Record<string, number>;
  /** The 1-minute load average when the measurement ended. */
  load1: number;
};

export type Target = { url: string; pid: number };

function summarize(
  result: Result,
  cpu: { tree: number; mainThread: number },
  rps?: number,
): Measurement {
  return {
    rps: rps ?? result.requests.total / result.duration,
    perCpuSecond: result.requests.total / cpu.tree,
    cpuSeconds: cpu.tree,
    mainThreadCpuSeconds: cpu.mainThread,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    statuses: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {})
        .filter(([code]) => !code.startsWith("2"))
        .map(([code, { count }]) => [code, count]),
    ),
    load1: os.loadavg()[0]!,
  };
}

/** Gives connection i its own fixed headers (and body), set once, so the generator adds no per-request work. */
export function perConnection(
  make: (slot: number) => { headers: Record<string, string>; body?: string },
) {
  let next = 0;
  return (client: Client) => {
    const { headers, body } = make(next++);
    if (body === undefined) client.setHeaders(headers);
    else client.setHeadersAndBody(headers, body);
  };
}

/** `connections` connections sending to one route for `seconds`. */
export async function hammer(
  server: Target,
  urlPath: string,
  setupClient: (client: Client) => void,
  settings: { seconds: number; connections: number },
  extra: Partial<Options> = {},
): Promise<Measurement> {
  const cpuBefore = readTreeCpuSeconds(server.pid);
  const mainBefore = readMainThreadCpuSeconds(server.pid);
  const result = await autocannon({
    url: `${server.url}${urlPath}`,
    connections: settings.connections,
    pipelining: 1,
    duration: settings.seconds,
    timeout: 30,
    setupClient,
    ...extra,
  });
  return summarize(result, {
    tree: readTreeCpuSeconds(server.pid) - cpuBefore,
    mainThread: readMainThreadCpuSeconds(server.pid) - mainBefore,
  });
}

/**
 * One refresh chain: a session, the newest refresh token the client holds, and the session's
 * device key (bench/dpop.ts): every refresh carries a proof by it. `key` is null for a session
 * of a server with DPOP_BINDING=off: its refreshes carry no proof.
 */
export type Chain = {
  sessionId: string;
  token: string;
  rotations: number;
  failures: number;
  key: BenchKey | null;
};

export function readSetCookie(
  headers: Record<string, string | string[]>,
  name: string,
): string | null {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== "set-cookie") continue;
    for (const line of Array.isArray(value) ? value : [value]) {
      if (line.startsWith(`${name}=`)) return line.slice(name.length + 1).split(";")[0] ?? null;
    }
  }
  return null;
}

/**
 * `amount` refreshes spread evenly over the chains (one connection each),
 * each request carrying the cookie the previous answer set, so afterwards the
 * database must hold exactly one rotation per 200 received.
 */
export async function refreshStorm(
  server: Target,
  chains: Chain[],
  amount: number,
  cookieName: string,
): Promise<Measurement> {
  let next = 0;
  let first = 0;
  let last = 0;
  const cpuBefore = readTreeCpuSeconds(server.pid);
  const mainBefore = readMainThreadCpuSeconds(server.pid);
  const result = await autocannon({
    url: server.url,
    connections: chains.length,
    pipelining: 1,
    amount,
    timeout: 30,
    setupClient(client) {
      client.requestIterator.initialContext = { slot: next++ };
      client.requestIterator.resetContext();
      client.requestIterator.rebuildRequest();
    },
    requests: [
      {
        method: "POST",
        path: "/api/auth/refresh",
        setupRequest(request, context) {
          first ||= performance.now();
          const chain = chains[context.slot as number];
          if (!chain) return request; // autocannon's first build, before setupClient
          const cookie = `${cookieName}=${chain.token}`;
          if (!chain.key) return { ...request, headers: { cookie } };
          const dpop = signBenchProof(chain.key, "POST", `${server.url}/api/auth/refresh`);
          return { ...request, headers: { cookie, dpop } };
        },
        onResponse(status, _body, context, headers) {
          last = performance.now();
          const chain = chains[context.slot as number]!;
          if (chain.key) learnBenchNonce(chain.key, headers);
          const token = status === 200 ? readSetCookie(headers, cookieName) : null;
          if (token) {
            chain.token = token;
            chain.rotations += 1;
          } else {
            chain.failures += 1;
          }
        },
      },
    ],
  });
  return summarize(
    result,
    {
      tree: readTreeCpuSeconds(server.pid) - cpuBefore,
      mainThread: readMainThreadCpuSeconds(server.pid) - mainBefore,
    },
    result.requests.total / ((last - first) / 1000),
  );
}

// ---------------------------------------------------------------------------
// PostgreSQL's side

/**
 * CPU seconds used so far by the backends serving one database, read from
 * /proc (the backends are local processes). Returns per-pid readings, so a
 * delta can include backends that appeared in between.
 */
export async function readBackendCpu(
  admin: pg.Client,
  database: string,
): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    [database],
  );
  return new Map(rows.map((r) => [r.pid, readCpuSeconds(r.pid)]));
}

/** CPU seconds the backends used between two readings (a new backend counts from 0). */
export function backendCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of after) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

/** The PostgreSQL server log to read statements from: BENCH_PG_LOG, or Debian's newest. */
export function findPostgresLog(explicit?: string): string | null {
  if (explicit) return fs.existsSync(explicit) ? explicit : null;
  const dir = "/var/log/postgresql";
  try {
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".log"))
      .map((f) => ({ file: `${dir}/${f}`, mtime: fs.statSync(`${dir}/${f}`).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    const newest = files[0]?.file ?? null;
    if (newest) fs.accessSync(newest, fs.constants.R_OK);
    return newest;
  } catch {
    return null;
  }
}

export function fileSize(file: string): number {
  return fs.statSync(file).size;
}

/**
 * Statements `log_statement = 'all'` logged for `database` after byte `from`
 * of the log, by kind (`BEGIN`, `SELECT`, ...). The log line prefix must carry
 * the database (`%d`), as Debian's default `%m [%p] %q%u@%d ` does.
 */
export function countLoggedStatements(
  logFile: string,
  from: number,
  database: string,
): { total: number; byKind: Record<string, number> } {
  const fd = fs.openSync(logFile, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, size - from));
    fs.readSync(fd, buffer, 0, buffer.length, from);
    const byKind: Record<string, number> = {};
    let total = 0;
    const pattern = new RegExp(`@${database} LOG:\\s+(?:statement|execute [^:]*):(.*)$`);
    const lines = buffer.toString("utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const match = pattern.exec(lines[i]!);
      if (!match) continue;
      // A statement whose text starts with a newline continues on the next (tab-indented) lines.
      let kind = /\w+/.exec(match[1]!)?.[0];
      for (let j = i + 1; !kind && j < lines.length && lines[j]!.startsWith("\t"); j++) {
        kind = /\w+/.exec(lines[j]!)?.[0];
      }
      const key = (kind ?? "?").toUpperCase();
      byKind[key] = (byKind[key] ?? 0) + 1;
      total += 1;
    }
    return { total, byKind };
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------
// In-process CPU timings

/**
 * CPU microseconds per call of `fn` (all threads of this process, so work on
 * libuv's pool counts): the best of several batches after a warm-up batch.
 */
export async function cpuMicrosPerCall(
  fn: () => unknown,
  iterations: number,
  batches = 5,
): Promise<number> {
  const results: number[] = [];
  for (let batch = 0; batch <= batches; batch++) {
    const before = process.cpuUsage();
    for (let i = 0; i < iterations; i++) await fn();
    if (batch > 0) results.push(cpuMicrosPerOp(process.cpuUsage(before), iterations));
  }
  return Math.min(...results);
}

/** Median CPU microseconds of one call, each timed alone (for slow calls like argon2id). */
export async function cpuMicrosEach(fn: () => Promise<unknown>, calls: number): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const before = process.cpuUsage();
    await fn();
    times.push(cpuMicrosPerOp(process.cpuUsage(before), 1));
  }
  return median(times);
}

export type AlgorithmCost = { alg: string; signUs: number; verifyUs: number };

/**
 * Sign and verify CPU of an access-token-shaped JWT with jose, for each
 * algorithm, independent of which one the app is configured with.
 */
export async function timeTokenAlgorithms(algs: readonly string[]): Promise<AlgorithmCost[]> {
  const costs: AlgorithmCost[] = [];
  for (const alg of algs) {
    const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: false });
    const sign = () =>
      new jose.SignJWT({ sid: crypto.randomUUID() })
        .setProtectedHeader({ alg, typ: "at+jwt", kid: "bench" })
        .setSubject(crypto.randomUUID())
        .setIssuer("http://localhost:3000")
        .setAudience("http://localhost:3000")
        .setIssuedAt()
        .setExpirationTime("5m")
        .setJti(crypto.randomUUID())
        .sign(privateKey);
    const token = await sign();
    const verify = () =>
      jose.jwtVerify(token, publicKey, {
        algorithms: [alg],
        issuer: "http://localhost:3000",
        audience: "http://localhost:3000",
      });
    costs.push({
      alg,
      signUs: await cpuMicrosPerCall(sign, 400),
      verifyUs: await cpuMicrosPerCall(verify, 400),
    });
  }
  return costs;
}

/**
 * The auth step alone, in this process: `authenticateRequest` (header parsing
 * and verification) on one valid token, cache on and off, in CPU microseconds
 * per call. Divided by the CPU a baseline request costs the server, it
 * predicts the protected/baseline ratio without a shared machine's noise.
 */
export async function timeAuthStep(config: {
  appUrl: string;
  keys: string;
}): Promise<{ cachedUs: number; uncachedUs: number }> {
  // A protected request reads no database once the revocation listener is live, but until then
  // it checks the token's session in the database (lib/auth/revocation.ts): give this process an
  // embedded database of its own, migrated, and wait for the listener before timing.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-bench-auth-"));
  runOrThrow("npm", ["run", "-s", "db:migrate"], { DATABASE_URL: "", DATA_DIR: dataDir });
  Object.assign(process.env, {
    APP_URL: config.appUrl,
    AUTH_SIGNING_KEYS: config.keys,
    ACCESS_TOKEN_TTL_SECONDS: "3600",
    DATABASE_URL: "",
    DATA_DIR: dataDir,
  });
  forgetEnv();
  const listener = getRevocationListener();
  listener.start();
  for (let waited = 0; listener.state !== "live"; waited += 50) {
    if (waited > 30_000) throw new Error(`revocation listener not live: ${listener.state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const measure = async (cacheSize: string, iterations: number) => {
    process.env.ACCESS_TOKEN_CACHE_SIZE = cacheSize;
    forgetEnv();
    forgetSigningKeys();
    clearAccessTokenCache();
    const { accessToken } = await signAccessToken({
      userId: crypto.randomUUID(),
      sessionId: crypto.randomUUID(),
    });
    const request = new Request(`${config.appUrl}/api/whoami`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return cpuMicrosPerCall(() => authenticateRequest(request), iterations);
  };
  const cachedUs = await measure("10000", 20_000);
  const uncachedUs = await measure("0", 2_000);
  delete process.env.ACCESS_TOKEN_CACHE_SIZE;
  await listener.stop();
  const database = chooseDatabase({ dataDir });
  if (database.kind === "pglite") await closePglite(database.dataDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { cachedUs, uncachedUs };
}

/**
 * CPU microseconds of one password verification with the app's own
 * parameters (median of `calls`, each alone, after a warm-up), counting the
 * hashing thread's time too. Run it after the servers stop.
 */
export async function timePasswordVerification(password: string, calls = 15): Promise<number> {
  const hash = await hashPassword(password);
  return cpuMicrosEach(() => verifyPassword(hash, password), calls);
}

/**
 * Median CPU microseconds per request on the server's main thread and on its other threads,
 * over measurements of one route.
 */
export function threadSplitUs(samples: Measurement[]): { mainUs: number; othersUs: number } {
  const per = (pick: (m: Measurement) => number) =>
    median(samples.map((m) => (pick(m) / m.requests) * 1e6));
  return {
    mainUs: per((m) => m.mainThreadCpuSeconds),
    othersUs: per((m) => m.cpuSeconds - m.mainThreadCpuSeconds),
  };
}
