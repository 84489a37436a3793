/**
 * The benchmark's set-up: settings, the servers it starts (each a real
 * `next start` from its own build), the users and sessions it measures with,
 * and the check that the database holds exactly what the load generator was
 * told. See run.ts for the order of events.
 */
import { BENCH_APP_URL, createBenchKey, learnBenchNonce, signBenchProof } from "./dpop";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import pg from "pg";
import {
  type AppServer,
  PROJECT_ROOT,
  buildApp,
  createScratchDatabase,
  generateKeySet,
  migrateDatabase,
  runOrThrow,
  startApp,
} from "../scripts/app-server";
import type { Chain } from "./measure";

export const PEER_DIR = path.join(PROJECT_ROOT, "bench/peer");
export const OUT_DIR = path.join(PROJECT_ROOT, "bench/out");
export const LOG_DIR = path.join(OUT_DIR, "logs");
export const RESULTS_PATH = path.join(PROJECT_ROOT, "bench/RESULTS.md");
const DIST_DIR = ".next-bench";
/** One issuer for all our servers, so a token from one is valid on the others. */
export const APP_URL = BENCH_APP_URL;
export const PASSWORD = "correct horse battery staple";
export const REFRESH_COOKIE = "__Secure-refresh_token";
export const PEER_COOKIE = "authjs.session-token";

function positiveInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

export type Settings = {
  /** Seconds per protected-route measurement. */
  seconds: number;
  /** Seconds per refresh, login and their baselines (slower, so longer). */
  longSeconds: number;
  rounds: number;
  refreshRounds: number;
  connections: number;
  skipBuild: boolean;
  save: boolean;
};

export function readSettings(argv: string[]): Settings {
  const seconds = positiveInt("BENCH_SECONDS", 2);
  return {
    seconds,
    longSeconds: Math.max(seconds, 3),
    rounds: positiveInt("BENCH_ROUNDS", 8),
    refreshRounds: positiveInt("BENCH_REFRESH_ROUNDS", 5),
    connections: positiveInt("BENCH_CONNECTIONS", 10),
    skipBuild: Boolean(process.env.BENCH_SKIP_BUILD),
    save: argv.includes("--save"),
  };
}

function portRange(): [number, number] {
  const [first, last] = (process.env.BENCH_PORTS ?? "4300-4389").split("-").map(Number);
  if (!Number.isInteger(first) || !Number.isInteger(last ?? first) || (last ?? first!) < first!)
    throw new Error("BENCH_PORTS must be a range such as 4300-4389");
  return [first!, last ?? first!];
}

let lastPortGiven = 0;

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * The next free port of BENCH_PORTS (default 4300-4389: the bench's own range on a machine that
 * several sessions share), never one given before in this process, so two servers started side
 * by side cannot pick the same one.
 */
export async function benchPort(): Promise<number> {
  const [first, last] = portRange();
  for (let port = Math.max(first, lastPortGiven + 1); port <= last; port++) {
    if (await isPortFree(port)) {
      lastPortGiven = port;
      return port;
    }
  }
  throw new Error(`no free port left in BENCH_PORTS ${first}-${last}`);
}

const startedAt = Date.now();
export function log(message: string): void {
  const load = os.loadavg()[0]!.toFixed(1);
  console.log(
    `[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s, load ${load.padStart(4)}] ${message}`,
  );
}

/** Promise.all that waits for every promise to settle before throwing, so no server outlives the run. */
async function allOrThrow<T extends readonly unknown[]>(promises: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** The PostgreSQL server to make a scratch database on: DATABASE_URL, or the local default. */
async function reachablePostgres(): Promise<string | null> {
  const url = process.env.DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return url;
  } catch {
    return null;
  }
}

export type Postgres = {
  /** The scratch database's URL (the app's DATABASE_URL). */
  url: string;
  name: string;
  /** The same database with `log_statement = 'all'` for the connections that use it. */
  loggedUrl: string;
};

export type Fleet = {
  keys: string;
  ours: AppServer;
  noCache: AppServer;
  peer: AppServer;
  oursPg: AppServer | null;
  /** Idle until the statement count at the end: the app on PostgreSQL, every statement logged. */
  oursPgLogged: AppServer | null;
  /** DPOP_BINDING=off on PGlite: refreshes without a proof, for the proof's cost (issue 21). */
  oursNoBind: AppServer;
  /** DPOP_BINDING=off on the same PostgreSQL database as ours-pg. */
  oursPgNoBind: AppServer | null;
  /** METRICS_ENABLED=0 on PGlite: the protected route without metrics (issue 22). */
  noMetrics: AppServer;
  postgres: Postgres | null;
  peerSecret: string;
  oursDataDir: string;
  noBindDataDir: string;
  stopAll: () => Promise<void>;
  cleanUp: () => Promise<void>;
};

/**
 * Builds (unless BENCH_SKIP_BUILD) and starts every server side by side; each
 * is idle while another one is measured. PostgreSQL servers get a fresh
 * scratch database (`jwt_bench_<time>`) on DATABASE_URL's server, dropped at
 * the end.
 */
export async function startFleet(settings: Settings): Promise<Fleet> {
  const servers: AppServer[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  const cleanUp = async () => {
    await stopAll();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    if (!fs.existsSync(path.join(PEER_DIR, "node_modules/next-auth"))) {
      log("installing the peer (bench/peer: next-auth, next) with npm ci");
      runOrThrow("npm", ["ci", "--no-audit", "--no-fund"], {}, PEER_DIR);
    }
    if (!settings.skipBuild) {
      log(`building the app into ${DIST_DIR}`);
      buildApp(DIST_DIR);
      log(`building the peer into bench/peer/${DIST_DIR}`);
      buildApp(DIST_DIR, PEER_DIR);
    }
    const keys = generateKeySet();
    const ourEnv = {
      APP_URL,
      AUTH_SIGNING_KEYS: keys,
      ACCESS_TOKEN_TTL_SECONDS: "3600",
      TRUST_PROXY: "0",
      // Access tokens as Bearer (refreshes stay bound): autocannon sends one fixed request per
      // connection, and a bound token needs a fresh proof per request (its jti is single-use).
      // The protected-route rows therefore measure the route without the proof; the proof check
      // per API request is `npm run bench:dpop`'s figure (docs/benchmark.md).
      ACCESS_TOKEN_BINDING: "off",
    };
    const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-bench-"));
    cleanups.push(async () => fs.rmSync(tempDir, { recursive: true, force: true }));
    const start = async (
      name: string,
      options: Parameters<typeof startApp>[0],
    ): Promise<AppServer> => {
      const server = await startApp({ port: await benchPort(), ...options });
      servers.push(server);
      log(`${name} on ${server.url} (pid ${server.pid})`);
      return server;
    };

    let postgres: Postgres | null = null;
    const serverUrl = await reachablePostgres();
    if (serverUrl) {
      const database = await createScratchDatabase(serverUrl, "jwt_bench");
      cleanups.push(database.drop);
      migrateDatabase(database.url);
      const logged = new URL(database.url);
      logged.searchParams.set("options", "-c log_statement=all");
      postgres = { url: database.url, name: database.name, loggedUrl: logged.toString() };
    } else {
      log("no PostgreSQL answered (DATABASE_URL or 127.0.0.1:5432): skipping the PostgreSQL rows");
    }
    const oursDataDir = path.join(tempDir, "ours");
    const peerSecret = randomBytes(32).toString("base64");
    const [ours, noCache, oursPg, oursPgLogged, peer, oursNoBind, oursPgNoBind, noMetrics] =
      await allOrThrow([
        start("ours (PGlite)", {
          distDir: DIST_DIR,
          logFile: path.join(LOG_DIR, "ours.log"),
          env: { ...ourEnv, DATABASE_URL: "", DATA_DIR: oursDataDir },
        }),
        // /api/whoami never reads the database, so this one may share PostgreSQL's.
        start("ours-nocache (ACCESS_TOKEN_CACHE_SIZE=0)", {
          distDir: DIST_DIR,
          logFile: path.join(LOG_DIR, "ours-nocache.log"),
          env: {
            ...ourEnv,
            DATABASE_URL: postgres?.url ?? "",
            DATA_DIR: path.join(tempDir, "nocache"),
            ACCESS_TOKEN_CACHE_SIZE: "0",
          },
        }),
        postgres
          ? start("ours-pg (PostgreSQL)", {
              distDir: DIST_DIR,
              logFile: path.join(LOG_DIR, "ours-pg.log"),
              env: { ...ourEnv, DATABASE_URL: postgres.url, DATA_DIR: path.join(tempDir, "pg") },
            })
          : Promise.resolve(null),
        // Setting log_statement at connect needs a superuser; without one, no statement count.
        postgres
          ? start("ours-pg-logged (PostgreSQL, log_statement=all)", {
              distDir: DIST_DIR,
              prestart: false,
              logFile: path.join(LOG_DIR, "ours-pg-logged.log"),
              env: {
                ...ourEnv,
                DATABASE_URL: postgres.loggedUrl,
                DATA_DIR: path.join(tempDir, "pg-logged"),
              },
            }).catch((error: unknown) => {
              log(`ours-pg-logged did not start, so no statement count: ${String(error)}`);
              return null;
            })
          : Promise.resolve(null),
        start("peer (Auth.js)", {
          distDir: DIST_DIR,
          cwd: PEER_DIR,
          prestart: false,
          logFile: path.join(LOG_DIR, "peer.log"),
          env: { AUTH_SECRET: peerSecret },
        }),
        start("ours-nobind (PGlite, DPOP_BINDING=off)", {
          distDir: DIST_DIR,
          logFile: path.join(LOG_DIR, "ours-nobind.log"),
          env: {
            ...ourEnv,
            DATABASE_URL: "",
            DATA_DIR: path.join(tempDir, "nobind"),
            DPOP_BINDING: "off",
          },
        }),
        postgres
          ? start("ours-pg-nobind (PostgreSQL, DPOP_BINDING=off)", {
              distDir: DIST_DIR,
              prestart: false,
              logFile: path.join(LOG_DIR, "ours-pg-nobind.log"),
              env: {
                ...ourEnv,
                DATABASE_URL: postgres.url,
                DATA_DIR: path.join(tempDir, "pg-nobind"),
                DPOP_BINDING: "off",
              },
            })
          : Promise.resolve(null),
        start("ours-nometrics (PGlite, METRICS_ENABLED=0)", {
          distDir: DIST_DIR,
          logFile: path.join(LOG_DIR, "ours-nometrics.log"),
          env: {
            ...ourEnv,
            DATABASE_URL: "",
            DATA_DIR: path.join(tempDir, "nometrics"),
            METRICS_ENABLED: "0",
          },
        }),
      ]);
    return {
      keys,
      ours,
      noCache,
      peer,
      oursPg,
      oursPgLogged,
      oursNoBind,
      oursPgNoBind,
      noMetrics,
      postgres,
      peerSecret,
      oursDataDir,
      noBindDataDir: path.join(tempDir, "nobind"),
      stopAll,
      cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

export type BenchUser = { email: string; accessToken: string; chain: Chain };

/** Registers `count` users through the real route; each registration starts a session. */
export async function registerUsers(
  server: AppServer,
  count: number,
  label: string,
  options: { bound: boolean } = { bound: true },
): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i++) {
    const email = `bench.${label}.${i}.${Date.now().toString(36)}@example.test`;
    // Unbound (a server with DPOP_BINDING=off): no key, no proof, as a bearer client signs up.
    const key = options.bound ? createBenchKey() : null;
    const response = await fetch(`${server.url}/api/auth/register`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(key && { dpop: signBenchProof(key, "POST", `${server.url}/api/auth/register`) }),
      },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    if (key) learnBenchNonce(key, response.headers);
    if (response.status !== 201) throw new Error(`register on ${label}: ${response.status}`);
    const body = (await response.json()) as { accessToken: string };
    const cookie = response.headers
      .getSetCookie()
      .map((line) => line.split(";")[0] ?? "")
      .find((pair) => pair.startsWith(`${REFRESH_COOKIE}=`));
    const claims = JSON.parse(
      Buffer.from(body.accessToken.split(".")[1]!, "base64url").toString(),
    ) as { sid: string };
    users.push({
      email,
      accessToken: body.accessToken,
      chain: {
        sessionId: claims.sid,
        token: cookie?.slice(REFRESH_COOKIE.length + 1) ?? "",
        rotations: 0,
        failures: 0,
        key,
      },
    });
  }
  return users;
}

/** Auth.js session cookies for the peer, minted with its own secret. */
export function mintPeerCookies(secret: string, count: number): string[] {
  return JSON.parse(
    runOrThrow("node", ["mint-session.mjs", String(count)], { AUTH_SECRET: secret }, PEER_DIR),
  ) as string[];
}

export type ChainCheck = {
  acknowledged: number;
  inDatabase: number;
  mismatched: number;
  revoked: number;
};

/**
 * Compares what the load generator was told with what the database holds. Per
 * session: head generation = 200s received, one token per generation (no
 * doubled rotation), all but the newest spent, nothing revoked.
 */
export async function checkChains(
  query: (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>,
  chains: Chain[],
): Promise<ChainCheck> {
  const rows = await query(
    `SELECT s.id, s.head_generation, s.revoked_at,
            count(t.id)::int AS tokens, count(t.used_at)::int AS used,
            count(DISTINCT t.generation)::int AS generations
       FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id
      WHERE s.id = ANY($1::uuid[]) GROUP BY s.id, s.head_generation, s.revoked_at`,
    [chains.map((c) => c.sessionId)],
  );
  const byId = new Map(rows.map((row) => [String(row.id), row]));
  const check: ChainCheck = { acknowledged: 0, inDatabase: 0, mismatched: 0, revoked: 0 };
  for (const chain of chains) {
    const row = byId.get(chain.sessionId);
    const head = Number(row?.head_generation ?? -1);
    check.acknowledged += chain.rotations;
    check.inDatabase += Math.max(head, 0);
    if (row?.revoked_at) check.revoked += 1;
    const exact =
      head === chain.rotations &&
      Number(row?.tokens) === head + 1 &&
      Number(row?.generations) === head + 1 &&
      Number(row?.used) === head;
    if (!exact) check.mismatched += 1;
  }
  return check;
}

export function peerVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(PEER_DIR, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  };
  return manifest.devDependencies["next-auth"] ?? "?";
}

export type Machine = {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
};

export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown CPU",
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}
