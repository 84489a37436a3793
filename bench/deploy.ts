/**
 * `npm run bench:deploy`: what a rotation costs as an operator runs the app, side by side in one
 * run, on a private PostgreSQL cluster (initdb in a temporary folder, own port, removed after):
 *
 *   direct 10 k    `next start` straight to a database holding 10 000 refresh-token rows
 *   direct 2 M     the same build, straight to a database holding 2 000 000 token rows
 *   PgBouncer 10 k the same build through PgBouncer in transaction mode (deploy/pgbouncer.ini)
 *                  in front of the 10 k database (DB_POOL_MODE=transaction)
 *
 * Each round refreshes the same number of chains on each server (interleaved, the order reversed
 * every other round) and reads the CPU of the server's process tree, of the database's backends
 * and of PgBouncer from /proc. A rotation's cost must stay flat with table size (issue 22: 2 M
 * vs 10 k ≥ 0.9 per server CPU-second); the pooler's figure is reported beside the direct one.
 * Afterwards every chain must have rotated exactly as often as it was answered 200.
 *
 * The rows are seeded with one INSERT … SELECT generate_series each (sessions with 100 spent
 * tokens apiece), then VACUUM ANALYZE, so both databases have the same shape and only the size
 * differs. Settings: BENCH_DEPLOY_ROUNDS (3), BENCH_DEPLOY_REFRESHES (3000 a round and server),
 * BENCH_DEPLOY_LARGE_TOKENS (2 000 000), BENCH_DEPLOY_DIST (.next-deploy; built if missing),
 * FAULTS_PG_PORTS (the cluster's port range). Writes bench/out/deploy.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import {
  type AppServer,
  buildApp,
  createScratchDatabase,
  findFreePort,
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
import { APP_URL, LOG_DIR, OUT_DIR, REFRESH_COOKIE, log, registerUsers } from "./setup";
import { median } from "./stats";

const ROUNDS = Number(process.env.BENCH_DEPLOY_ROUNDS ?? 3);
const REFRESHES = Number(process.env.BENCH_DEPLOY_REFRESHES ?? 3_000);
const SMALL_TOKENS = 10_000;
const LARGE_TOKENS = Number(process.env.BENCH_DEPLOY_LARGE_TOKENS ?? 2_000_000);
const TOKENS_PER_SESSION = 100;
const CHAINS = 16;
const DIST_DIR = process.env.BENCH_DEPLOY_DIST ?? ".next-deploy";

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
  name: string;
  app: AppServer;
  database: string;
  pgbouncerPid?: () => number;
  chains: Chain[];
};

type Sample = { rotations: number; appCpu: number; dbCpu: number; poolerCpu: number };

async function main(): Promise<void> {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  if (!fs.existsSync(path.join(DIST_DIR, "BUILD_ID"))) {
    log(`building the app into ${DIST_DIR}`);
    buildApp(DIST_DIR);
  }
  const [first, last] = (process.env.FAULTS_PG_PORTS ?? "55440-55449").split("-").map(Number);
  const cluster = await startPrivateCluster(first!, last ?? first!);
  const servers: Server[] = [];
  let bouncer: Awaited<ReturnType<typeof startPgBouncer>> | undefined;
  try {
    const small = await createScratchDatabase(cluster.url, "bench_small");
    const large = await createScratchDatabase(cluster.url, "bench_large");
    migrateDatabase(small.url);
    migrateDatabase(large.url);
    log(`seeding ${SMALL_TOKENS} and ${LARGE_TOKENS} token rows`);
    await seed(small.url, SMALL_TOKENS);
    const seedStarted = performance.now();
    await seed(large.url, LARGE_TOKENS);
    log(`seeded the large database in ${((performance.now() - seedStarted) / 1000).toFixed(0)} s`);
    bouncer = await startPgBouncer({
      port: await findFreePort(),
      upstreamPort: cluster.port,
      database: small.name,
    });
    const env = {
      APP_URL,
      AUTH_SIGNING_KEYS: generateKeySet(),
      ACCESS_TOKEN_TTL_SECONDS: "3600",
      REGISTRATION_LIMIT_PER_MINUTE: "100000",
      PRUNE_INTERVAL_SECONDS: "0",
    };
    const start = async (name: string, database: string, extra: Record<string, string>) => {
      const app = await startApp({
        distDir: DIST_DIR,
        env: { ...env, ...extra },
        logFile: path.join(LOG_DIR, `deploy-${name.replace(/\W+/g, "-")}.log`),
      });
      const users = await registerUsers(app, CHAINS, name.replace(/\W+/g, ""));
      const server: Server = { name, app, database, chains: users.map((u) => u.chain) };
      servers.push(server);
      log(`${name} on ${app.url} (pid ${app.pid})`);
      return server;
    };
    await start(`direct, ${SMALL_TOKENS.toLocaleString("en")} token rows`, small.name, {
      DATABASE_URL: small.url,
    });
    await start(`direct, ${LARGE_TOKENS.toLocaleString("en")} token rows`, large.name, {
      DATABASE_URL: large.url,
    });
    const pooled = await start(
      `PgBouncer transaction mode, ${SMALL_TOKENS.toLocaleString("en")} token rows`,
      small.name,
      {
        DATABASE_URL: bouncer.url,
        DB_POOL_MODE: "transaction",
        DATABASE_LISTEN_URL: bouncer.listenUrl,
      },
    );
    pooled.pgbouncerPid = bouncer.pid;

    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    const samples = new Map<string, Sample[]>(servers.map((s) => [s.name, []]));
    const run = async (server: Server, amount: number): Promise<Sample> => {
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
      };
    };
    log("warming every server");
    for (const server of servers) await run(server, 500);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) samples.get(server.name)!.push(await run(server, REFRESHES));
      log(`round ${round + 1}/${ROUNDS} done (load ${os.loadavg()[0]!.toFixed(1)})`);
    }
    await admin.end();

    // Every 200 the load generator saw is one rotation in the database: none lost, none doubled.
    for (const server of servers) {
      const failures = server.chains.reduce((n, c) => n + c.failures, 0);
      if (failures) throw new Error(`${server.name}: ${failures} refreshes failed`);
    }

    const perApp = (s: Sample) => s.rotations / s.appCpu;
    const perAll = (s: Sample) => s.rotations / (s.appCpu + s.dbCpu + s.poolerCpu);
    const [smallName, largeName, pooledName] = servers.map((s) => s.name) as [
      string,
      string,
      string,
    ];
    const ratio = (a: string, b: string, f: (s: Sample) => number) =>
      median(samples.get(a)!.map((s, i) => f(s) / f(samples.get(b)![i]!)));
    const rows = servers.map((server) => {
      const list = samples.get(server.name)!;
      const us = (pick: (s: Sample) => number) =>
        median(list.map((s) => (pick(s) / s.rotations) * 1e6)).toFixed(0);
      return `| ${server.name} | ${median(list.map(perApp)).toFixed(0)} | ${median(list.map(perAll)).toFixed(0)} | ${us((s) => s.appCpu)} | ${us((s) => s.dbCpu)} | ${us((s) => s.poolerCpu)} |`;
    });
    const lines = [
      `Rotations, ${ROUNDS} interleaved rounds of ${REFRESHES} per server (${CHAINS} chains), medians; load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" / ")}, ${os.cpus().length} cores.`,
      "",
      "| Server | Rotations per app CPU-s | Rotations per CPU-s, app + PostgreSQL + PgBouncer | App µs | PostgreSQL µs | PgBouncer µs |",
      "|---|---|---|---|---|---|",
      ...rows,
      "",
      `- ${LARGE_TOKENS.toLocaleString("en")} vs ${SMALL_TOKENS.toLocaleString("en")} token rows, direct: ${ratio(largeName, smallName, perApp).toFixed(2)} per app CPU-second, ${ratio(largeName, smallName, perAll).toFixed(2)} per CPU-second of app + PostgreSQL (target ≥ 0.9).`,
      `- PgBouncer transaction mode vs direct, ${SMALL_TOKENS.toLocaleString("en")} token rows: ${ratio(pooledName, smallName, perApp).toFixed(2)} per app CPU-second, ${ratio(pooledName, smallName, perAll).toFixed(2)} per CPU-second of app + PostgreSQL + PgBouncer.`,
    ];
    const text = lines.join("\n") + "\n";
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(path.join(OUT_DIR, "deploy.md"), text);
    console.log(`\n${text}`);
  } finally {
    await Promise.all(servers.map((s) => s.app.stop()));
    bouncer?.remove();
    cluster.remove();
  }
}

await main();
