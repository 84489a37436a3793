/**
 * The deployment rows of `npm run bench` (and `npm run bench:deploy`, the same alone): what a
 * rotation costs as an operator runs the app, side by side in one run, on a private PostgreSQL
 * cluster (initdb in a temporary folder, own port, removed after):
 *
 *   direct 10 k          `next start` straight to a database holding 10 000 refresh-token rows
 *   direct 2 M           the same build, straight to a database holding 2 000 000 token rows
 *   PgBouncer 10 k       the same build through PgBouncer 1.18 in transaction mode
 *                        (deploy/pgbouncer.ini) in front of the 10 k database
 *                        (DB_POOL_MODE=transaction)
 *   direct 10 k, unnamed the 10 k database straight with DB_POOL_MODE=transaction's unnamed
 *                        statements (lib/db/adapter.ts `SqlStatement`), beside the named ones
 *                        the app sends on a direct connection (DB_POOL_MODE=direct)
 *
 * Each round refreshes the same number of chains on each server (interleaved, the order reversed
 * every other round) and reads the CPU of the server's process tree, of the database's backends
 * and of PgBouncer from /proc. A rotation's cost must stay flat with table size (issue 22: 2 M
 * vs 10 k ≥ 0.9 per server CPU-second); the pooler's figure and the unnamed one are reported
 * beside the direct one. Afterwards no refresh may have failed.
 *
 * The rows are seeded with one INSERT … SELECT generate_series each (sessions with 100 spent
 * tokens apiece), then VACUUM ANALYZE, so both databases have the same shape and only the size
 * differs; the app's own sessions come on top through the real register route.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import {
  type AppServer,
  createScratchDatabase,
  generateKeySet,
  migrateDatabase,
  startApp,
} from "../scripts/app-server";
import { startPrivateCluster } from "../test/faults/postgres-cluster";
import { startPgBouncer } from "../test/deploy/stack";
import {
  type Chain,
  backendCpuDelta,
  readBackendCpu,
  readCpuSeconds,
  refreshStorm,
} from "./measure";
import { APP_URL, LOG_DIR, REFRESH_COOKIE, benchPort, log, registerUsers } from "./setup";
import { type Spread, median, pairedRatios, spreadOf } from "./stats";

export const SMALL_TOKENS = 10_000;
const TOKENS_PER_SESSION = 100;
const CHAINS = 16;

/** `tokens` spent refresh-token rows in `tokens / 100` sessions of one seed user: one statement each. */
async function seed(url: string, tokens: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      INSERT INTO users (id, email, password_hash, created_at, updated_at)
      VALUES ('00000000-0000-4000-8000-000000000000', 'seed@example.test', 'x', now(), now())`);
    await client.query(
      `INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at,
                             absolute_expires_at, head_generation, head_issued_at)
       SELECT md5('s' || g)::uuid, '00000000-0000-4000-8000-000000000000', now(), now(),
              now() + interval '7 days', now() + interval '30 days', $2::int, now()
       FROM generate_series(0, $1::int - 1) g`,
      [tokens / TOKENS_PER_SESSION, TOKENS_PER_SESSION],
    );
    await client.query(
      `INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, generation, issued_at,
                                   used_at)
       SELECT gen_random_uuid(), md5('s' || (g / $2::int))::uuid,
              encode(sha256(('seed-token-' || g)::bytea), 'hex'), NULL, g % $2::int,
              now() - interval '1 hour', now() - interval '1 hour'
       FROM generate_series(0, $1::int - 1) g`,
      [tokens, TOKENS_PER_SESSION],
    );
    await client.query("VACUUM ANALYZE");
  } finally {
    await client.end();
  }
}

type Server = {
  key: DeployKey;
  name: string;
  app: AppServer;
  database: string;
  pgbouncerPid?: () => number;
  chains: Chain[];
};

export type DeployKey = "small" | "large" | "pooled" | "unnamed";

/** One refresh run on one server: its rotations and the CPU seconds of each part. */
export type DeploySample = {
  rotations: number;
  appCpu: number;
  dbCpu: number;
  poolerCpu: number;
  load1: number;
};

export type DeploySettings = {
  distDir: string;
  rounds: number;
  /** Rotations per round and server. */
  refreshes: number;
  largeTokens: number;
  /** Ports for the private cluster (first free one). */
  clusterPorts: [number, number];
};

export type DeployFigures = {
  settings: DeploySettings;
  names: Record<DeployKey, string>;
  samples: Record<DeployKey, DeploySample[]>;
  seedSeconds: number;
  pgbouncerVersion: string;
};

/** Rotations per app CPU-second, and per CPU-second of app + PostgreSQL + PgBouncer. */
export const perApp = (s: DeploySample) => s.rotations / s.appCpu;
export const perAll = (s: DeploySample) => s.rotations / (s.appCpu + s.dbCpu + s.poolerCpu);

/** The paired per-round ratio `a ÷ b` of one figure. */
export function deployRatio(
  figures: DeployFigures,
  a: DeployKey,
  b: DeployKey,
  f: (s: DeploySample) => number,
): Spread {
  return pairedRatios(figures.samples[a].map(f), figures.samples[b].map(f));
}

/** Median µs per rotation of one part. */
export function deployUs(list: DeploySample[], pick: (s: DeploySample) => number): number {
  return median(list.map((s) => (pick(s) / s.rotations) * 1e6));
}

export function deploySpread(list: DeploySample[], f: (s: DeploySample) => number): Spread {
  return spreadOf(list.map(f));
}

/**
 * BENCH_DEPLOY_PG_SETTINGS ("shared_buffers=1GB plan_cache_mode=force_custom_plan"): the private
 * cluster's extra settings, for asking why a row moves (docs/benchmark.md).
 */
function clusterSettings(text = ""): Record<string, string> {
  return Object.fromEntries(
    text
      .split(/\s+/)
      .filter(Boolean)
      .map((setting) => {
        const at = setting.indexOf("=");
        if (at <= 0) throw new Error(`BENCH_DEPLOY_PG_SETTINGS: "${setting}" is not name=value`);
        return [setting.slice(0, at), setting.slice(at + 1)];
      }),
  );
}

export async function measureDeployment(settings: DeploySettings): Promise<DeployFigures> {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const { distDir, rounds, refreshes, largeTokens } = settings;
  const cluster = await startPrivateCluster(
    ...settings.clusterPorts,
    clusterSettings(process.env.BENCH_DEPLOY_PG_SETTINGS),
  );
  log(`private PostgreSQL cluster on port ${cluster.port}`);
  const servers: Server[] = [];
  let bouncer: Awaited<ReturnType<typeof startPgBouncer>> | undefined;
  try {
    const small = await createScratchDatabase(cluster.url, "bench_small");
    const large = await createScratchDatabase(cluster.url, "bench_large");
    migrateDatabase(small.url);
    migrateDatabase(large.url);
    log(`seeding ${SMALL_TOKENS} and ${largeTokens} token rows (generate_series, then ANALYZE)`);
    await seed(small.url, SMALL_TOKENS);
    const seedStarted = performance.now();
    await seed(large.url, largeTokens);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(`seeded the large database in ${seedSeconds.toFixed(0)} s`);
    bouncer = await startPgBouncer({
      port: await benchPort(),
      upstreamPort: cluster.port,
      database: small.name,
    });
    const pgbouncerVersion =
      spawnSync("pgbouncer", ["--version"], { encoding: "utf8" }).stdout.split("\n")[0]?.trim() ??
      "?";
    const env = {
      APP_URL,
      AUTH_SIGNING_KEYS: generateKeySet(),
      ACCESS_TOKEN_TTL_SECONDS: "3600",
      REGISTRATION_LIMIT_PER_MINUTE: "100000",
      PRUNE_INTERVAL_SECONDS: "0",
    };
    const start = async (
      key: DeployKey,
      name: string,
      database: string,
      extra: Record<string, string>,
    ) => {
      const app = await startApp({
        port: await benchPort(),
        distDir,
        env: { ...env, ...extra },
        logFile: path.join(LOG_DIR, `deploy-${key}.log`),
      });
      const users = await registerUsers(app, CHAINS, `deploy${key}`);
      const server: Server = { key, name, app, database, chains: users.map((u) => u.chain) };
      servers.push(server);
      log(`${name} on ${app.url} (pid ${app.pid})`);
      return server;
    };
    const rows = (n: number) => `${n.toLocaleString("en")} token rows`;
    await start("small", `direct, ${rows(SMALL_TOKENS)}`, small.name, {
      DATABASE_URL: small.url,
    });
    await start("large", `direct, ${rows(largeTokens)}`, large.name, {
      DATABASE_URL: large.url,
    });
    const pooled = await start(
      "pooled",
      `PgBouncer transaction mode, ${rows(SMALL_TOKENS)}`,
      small.name,
      {
        DATABASE_URL: bouncer.url,
        DB_POOL_MODE: "transaction",
        DATABASE_LISTEN_URL: bouncer.listenUrl,
      },
    );
    pooled.pgbouncerPid = bouncer.pid;
    // Transaction mode's statements (unnamed) on the same direct connection; LISTEN there too.
    await start("unnamed", `direct, ${rows(SMALL_TOKENS)}, unnamed statements`, small.name, {
      DATABASE_URL: small.url,
      DB_POOL_MODE: "transaction",
      DATABASE_LISTEN_URL: small.url,
    });

    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    const samples = Object.fromEntries(servers.map((s) => [s.key, []])) as unknown as Record<
      DeployKey,
      DeploySample[]
    >;
    const run = async (server: Server, amount: number): Promise<DeploySample> => {
      const dbBefore = await readBackendCpu(admin, server.database);
      const poolerBefore = server.pgbouncerPid ? readCpuSeconds(server.pgbouncerPid()) : 0;
      const m = await refreshStorm(server.app, server.chains, amount, REFRESH_COOKIE);
      const dbAfter = await readBackendCpu(admin, server.database);
      const poolerAfter = server.pgbouncerPid ? readCpuSeconds(server.pgbouncerPid()) : 0;
      if (m.non2xx || m.errors) throw new Error(`${server.name}: ${JSON.stringify(m.statuses)}`);
      return {
        rotations: m.requests,
        appCpu: m.cpuSeconds,
        dbCpu: backendCpuDelta(dbBefore, dbAfter),
        poolerCpu: poolerAfter - poolerBefore,
        load1: os.loadavg()[0]!,
      };
    };
    log("warming every deployment server");
    for (const server of servers) await run(server, 300);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) samples[server.key].push(await run(server, refreshes));
      log(`deployment round ${round + 1}/${rounds} done`);
    }
    await admin.end();

    // Every 200 the load generator saw is one rotation: none refused.
    for (const server of servers) {
      const failures = server.chains.reduce((n, c) => n + c.failures, 0);
      if (failures) throw new Error(`${server.name}: ${failures} refreshes failed`);
    }
    return {
      settings,
      names: Object.fromEntries(servers.map((s) => [s.key, s.name])) as Record<DeployKey, string>,
      samples,
      seedSeconds,
      pgbouncerVersion,
    };
  } finally {
    await Promise.all(servers.map((s) => s.app.stop()));
    bouncer?.remove();
    cluster.remove();
  }
}

/** The deployment rows as a Markdown table and notes. */
export function renderDeployment(figures: DeployFigures): string[] {
  const { samples, names, settings } = figures;
  const keys: DeployKey[] = ["small", "large", "pooled", "unnamed"];
  const rows = keys.map((key) => {
    const list = samples[key];
    return `| ${names[key]} | ${median(list.map(perApp)).toFixed(0)} | ${median(list.map(perAll)).toFixed(0)} | ${deployUs(list, (s) => s.appCpu).toFixed(0)} | ${deployUs(list, (s) => s.dbCpu).toFixed(0)} | ${deployUs(list, (s) => s.poolerCpu).toFixed(0)} |`;
  });
  const loads = keys.flatMap((k) => samples[k].map((s) => s.load1));
  const r = (a: DeployKey, b: DeployKey, f: (s: DeploySample) => number) => {
    const spread = deployRatio(figures, a, b, f);
    return `${spread.median.toFixed(2)} (${spread.min.toFixed(2)}–${spread.max.toFixed(2)})`;
  };
  return [
    `Rotations on a private PostgreSQL cluster, ${settings.rounds} interleaved rounds of ${settings.refreshes} per server (${CHAINS} chains), medians; the 1-minute load ranged ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}. ${figures.pgbouncerVersion}. The ${settings.largeTokens.toLocaleString("en")} rows were seeded in ${figures.seedSeconds.toFixed(0)} s.`,
    "",
    "| Server | Rotations per app CPU-s | Rotations per CPU-s, app + PostgreSQL + PgBouncer | App µs | PostgreSQL µs | PgBouncer µs |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    `- ${settings.largeTokens.toLocaleString("en")} vs ${SMALL_TOKENS.toLocaleString("en")} token rows, direct: ${r("large", "small", perApp)} per app CPU-second, ${r("large", "small", perAll)} per CPU-second of app + PostgreSQL (target ≥ 0.9).`,
    `- PgBouncer transaction mode vs direct, ${SMALL_TOKENS.toLocaleString("en")} token rows: ${r("pooled", "small", perApp)} per app CPU-second, ${r("pooled", "small", perAll)} per CPU-second of app + PostgreSQL + PgBouncer.`,
    `- Named (the app's, DB_POOL_MODE=direct) vs unnamed (DB_POOL_MODE=transaction's) statements, direct: ${r("small", "unnamed", perApp)} per app CPU-second, ${r("small", "unnamed", perAll)} per CPU-second of app + PostgreSQL.`,
  ];
}

/** The deployment settings from the environment (docs/benchmark.md). */
export function deploySettings(distDir: string): DeploySettings {
  const int = (name: string, fallback: number) => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${name} must be a positive integer`);
    return value;
  };
  const [first, last] = (process.env.BENCH_PG_PORTS ?? "4390-4399").split("-").map(Number);
  return {
    distDir,
    rounds: int("BENCH_DEPLOY_ROUNDS", 3),
    refreshes: int("BENCH_DEPLOY_REFRESHES", 1500),
    largeTokens: int("BENCH_DEPLOY_LARGE_TOKENS", 2_000_000),
    clusterPorts: [first!, last ?? first!],
  };
}
