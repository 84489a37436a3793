/**
 * The deployment rig: the app run as operators run it, on loopback.
 *
 *   load (200 users) → nginx (deploy/nginx.conf) → 4 × `next start` (one build)
 *                    → PgBouncer 1.18, pool_mode = transaction (deploy/pgbouncer.ini)
 *                    → a private PostgreSQL cluster (initdb in a temp folder)
 *
 * Phase 1, a rolling restart: the users refresh and read for ROLLING_LOAD_MS while the instances
 * are restarted one by one (SIGTERM, wait for the exit, start, wait for health). Phase 2: PgBouncer
 * restarts (SIGTERM, start) under the same load. After each: no user signed out, no 500,
 * every 503 carried Retry-After, and the database holds every session in the state the rotation
 * protocol promises (test/faults/invariants.ts). The figures table goes into docs/deployment.md.
 */
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type AppServer,
  createScratchDatabase,
  findFreePort,
  migrateDatabase,
  startApp,
} from "@/scripts/app-server";
import { type Query, checkInvariants } from "../faults/invariants";
import { LoadDriver, sleep } from "../faults/load-driver";
import { type PrivateCluster, startPrivateCluster } from "../faults/postgres-cluster";
import { type Nginx, type PgBouncer, startNginx, startPgBouncer } from "./stack";

const USERS = Number(process.env.DEPLOY_USERS ?? 200);
const ROLLING_LOAD_MS = Number(process.env.DEPLOY_LOAD_MS ?? 60_000);
const PGBOUNCER_LOAD_MS = 15_000;
const INSTANCES = 4;
const LOG_DIR = path.resolve("test-results/deploy");

const { distDir, signingKeys } = inject("deploy");

type Figures = {
  phase: string;
  seconds: number;
  requests: number;
  refreshes: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: Record<string, number>;
  lost: number;
};
const figures: Figures[] = [];
const restarts: string[] = [];

/**
 * Every wait of the rig is bounded: a stuck stack (an instance that never exits or never gets
 * healthy, a pooler that never comes back, users that never finish) fails the run with what it
 * waited for, instead of hanging until the test timeout or beyond.
 */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the stack is stuck: ${what} did not finish in ${ms / 1000} s`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then the exit within the drain's bound (SHUTDOWN_TIMEOUT_MS, 8 s) plus slack. */
async function stopInstance(app: AppServer): Promise<string> {
  process.kill(app.pid, "SIGTERM");
  try {
    const exit = await within(30_000, `instance ${app.port}'s exit after SIGTERM`, app.exited);
    return String(exit.signal ?? exit.code);
  } catch (error) {
    process.kill(app.pid, "SIGKILL");
    throw error;
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function formatRow(f: Figures): string {
  const errors =
    Object.entries(f.errors)
      .map(([kind, n]) => `${n} × ${kind}`)
      .join(", ") || "none";
  return `| ${f.phase} | ${f.seconds.toFixed(0)} | ${f.requests} | ${f.refreshes} | ${f.perSecond.toFixed(0)} | ${f.p50.toFixed(0)} / ${f.p99.toFixed(0)} | ${errors} | ${f.lost} |`;
}

let cluster: PrivateCluster;
let bouncer: PgBouncer;
let nginx: Nginx;
let directUrl: string;
let query: Query;
const apps: AppServer[] = [];
let appEnv: Record<string, string>;
let appPorts: number[];

/**
 * `next start` on instance i's port. The first start runs `npm start`'s migration check too; a
 * restart skips it (the same release, already checked), as a supervisor restarting the server
 * process would, and it keeps the restart short on a busy machine.
 */
function startInstance(i: number, prestart = true): Promise<AppServer> {
  return startApp({
    distDir,
    env: appEnv,
    port: appPorts[i],
    prestart,
    logFile: path.join(LOG_DIR, `app-${i}${prestart ? "" : "-restarted"}.log`),
  });
}

/** Sessions that ended (revoked) long ago, each with a few spent tokens: the prune's work. */
const ENDED_SESSIONS = 1_000;
async function seedEndedSessions(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      INSERT INTO users (id, email, password_hash, created_at, updated_at)
      VALUES ('00000000-0000-4000-8000-0000000000ed', 'ended@example.test', 'x', now(), now())`);
    await client.query(
      `INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at,
                             absolute_expires_at, head_generation, head_issued_at, revoked_at,
                             revoke_reason)
       SELECT md5('ended' || g)::uuid, '00000000-0000-4000-8000-0000000000ed',
              now() - interval '40 days', now() - interval '10 days', now() - interval '3 days',
              now() + interval '1 day', 3, now() - interval '10 days',
              now() - interval '10 days', 'logout'
       FROM generate_series(1, $1::int) g`,
      [ENDED_SESSIONS],
    );
    await client.query(
      `INSERT INTO refresh_tokens (id, session_id, token_hash, generation, issued_at, used_at)
       SELECT gen_random_uuid(), md5('ended' || (g / 4 + 1))::uuid,
              encode(sha256(('ended-token-' || g)::bytea), 'hex'), g % 4,
              now() - interval '10 days', now() - interval '10 days'
       FROM generate_series(0, $1::int * 4 - 1) g`,
      [ENDED_SESSIONS],
    );
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const [first, last] = (process.env.FAULTS_PG_PORTS ?? "55440-55449").split("-").map(Number);
  cluster = await startPrivateCluster(first!, last ?? first!);
  const database = await createScratchDatabase(cluster.url, "deploy");
  directUrl = database.url;
  // Migrations run once per release on a direct connection (the engine's advisory lock is a
  // session lock: docs/deployment.md).
  migrateDatabase(directUrl);
  query = async (sql, params) => {
    // Bounded, as every wait of the rig is.
    const client = new pg.Client({
      connectionString: directUrl,
      connectionTimeoutMillis: 10_000,
      query_timeout: 30_000,
    });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  bouncer = await startPgBouncer({
    port: await findFreePort(),
    upstreamPort: cluster.port,
    database: database.name,
  });
  const nginxPort = await findFreePort();
  appPorts = [];
  while (appPorts.length < INSTANCES) {
    const port = await findFreePort();
    if (!appPorts.includes(port) && port !== nginxPort) appPorts.push(port);
  }
  appEnv = {
    APP_URL: `http://127.0.0.1:${nginxPort}`,
    AUTH_SIGNING_KEYS: signingKeys,
    DATABASE_URL: bouncer.url,
    DB_POOL_MODE: "transaction",
    DATABASE_LISTEN_URL: bouncer.listenUrl,
    // Every simulated user comes from 127.0.0.1, so the per-address limits are not what is
    // measured here; the instance-wide registration limit is raised for the opening burst.
    REGISTRATION_LIMIT_PER_MINUTE: "100000",
    // The background prune runs through PgBouncer too, every few seconds on each instance, one at
    // a time (lib/auth/retention.ts); it must delete the seeded ended sessions and nothing of
    // the users' (their spent tokens are inside the reuse-detection window).
    PRUNE_INTERVAL_SECONDS: "5",
    PRUNE_BATCH_SIZE: "100",
  };
  await seedEndedSessions(directUrl);
  apps.push(...(await Promise.all(appPorts.map((_, i) => startInstance(i)))));
  nginx = await startNginx({ port: nginxPort, upstreams: appPorts });
});

afterAll(async () => {
  // A phase that failed midway left its users looping: stop them before the stack goes away, or
  // they retry against nothing for ever and the run never ends.
  await within(60_000, "the users' last requests", driver?.stop() ?? Promise.resolve()).catch(
    (error: Error) => console.error(error.message),
  );
  await Promise.all(apps.map((app) => app.stop()));
  await nginx?.remove();
  bouncer?.remove();
  cluster?.remove();
  const lines = [
    "| Phase | Seconds | Requests | Refreshes | Refreshes/s | Refresh p50 / p99 (ms) | Errors by kind | Users signed out |",
    "|---|---|---|---|---|---|---|---|",
    ...figures.map(formatRow),
  ];
  lines.push("", ...restarts.map((line) => `- ${line}`));
  fs.writeFileSync(path.join(LOG_DIR, "table.md"), lines.join("\n") + "\n");
  console.log(`\n${lines.join("\n")}\n`);
});

let driver: LoadDriver | undefined;

describe(`${USERS} users through nginx, 4 instances, PgBouncer in transaction mode`, () => {
  let registered = false;
  /** The users, once all are registered: a later phase without them fails at once. */
  function load(): LoadDriver {
    if (!driver || !registered)
      throw new Error("no users to load the stack with: see the registration");
    return driver;
  }

  async function record(phase: string, startedAt: number): Promise<Figures> {
    const { stats, users } = load();
    const seconds = (performance.now() - startedAt) / 1000;
    const f: Figures = {
      phase,
      seconds,
      requests: stats.requests,
      refreshes: stats.refreshLatenciesMs.length,
      perSecond: stats.refreshLatenciesMs.length / seconds,
      p50: percentile(stats.refreshLatenciesMs, 50),
      p99: percentile(stats.refreshLatenciesMs, 99),
      errors: load().errorTable(),
      lost: users.filter((u) => u.lostWith).length,
    };
    figures.push(f);
    return f;
  }

  async function expectIntact(f: Figures) {
    expect(f.lost, JSON.stringify(f.errors)).toBe(0);
    const kinds = Object.keys(f.errors);
    expect(kinds.filter((k) => k.startsWith("500"))).toEqual([]);
    expect(kinds.filter((k) => k === "503 without Retry-After")).toEqual([]);
    // Only 503s (the app's drain, or nginx's own when no instance answered) and lost answers.
    expect(kinds.filter((k) => !/^(503 |no answer|client timeout|200 with)/.test(k))).toEqual([]);
    await load().settle(120_000, 32);
    const report = await within(
      60_000,
      "the invariants' queries",
      checkInvariants(query, load().users),
    );
    expect(report).toEqual({ missingUsers: [], missingTokens: 0, reuseVerdicts: 0, badHeads: [] });
  }

  /** Stops the users' loops (each finishes its current request, every one bounded). */
  const stopLoad = () =>
    within(60_000, "the users' last requests", load().stop()).catch((error: Error) => {
      throw new Error(`${error.message} (${load().describeInFlight()})`);
    });

  it("registers the users through nginx", async () => {
    // The users' proofs name the public origin, nginx's (APP_URL), as a browser's would.
    driver = new LoadDriver([nginx.url], USERS, "deploy", appEnv.APP_URL);
    // A few at a time: the sign-up burst is the fault suite's subject, not this one's, and each
    // registration is an argon2id hash.
    await within(180_000, "the registrations", driver.registerAll(16));
    expect(driver.users.every((u) => u.refreshToken)).toBe(true);
    registered = true;
  });

  it("keeps every user signed in while the instances restart one by one", async () => {
    load().resetStats();
    const startedAt = performance.now();
    load().start();
    try {
      await sleep(2_000);
      for (let i = 0; i < INSTANCES; i++) {
        const exit = await stopInstance(apps[i]!);
        apps[i] = await within(90_000, `instance ${i + 1}'s restart`, startInstance(i, false));
        restarts.push(
          `instance ${i + 1}: exited ${exit}, healthy again at ${((performance.now() - startedAt) / 1000).toFixed(0)} s`,
        );
      }
      // The rest of the minute under load, with all four back.
      const rest = ROLLING_LOAD_MS - (performance.now() - startedAt);
      if (rest > 0) await sleep(rest);
    } finally {
      await stopLoad();
    }
    const f = await record(`rolling restart of ${INSTANCES} instances`, startedAt);
    expect(f.refreshes).toBeGreaterThan(USERS);
    await expectIntact(f);
  });

  it("keeps every user signed in while PgBouncer restarts", async () => {
    load().resetStats();
    const startedAt = performance.now();
    load().start();
    try {
      await load().waitForProgress(1);
      await within(30_000, "PgBouncer's restart", bouncer.restart());
      // Every user completes two more cycles through the restarted pooler, and the load runs on
      // for at least PGBOUNCER_LOAD_MS in all.
      await load().waitForProgress(2);
      const rest = PGBOUNCER_LOAD_MS - (performance.now() - startedAt);
      if (rest > 0) await sleep(rest);
    } finally {
      await stopLoad();
    }
    const f = await record("PgBouncer restart", startedAt);
    await expectIntact(f);
  });

  it("pruned the ended sessions in the background, through PgBouncer", async () => {
    // The instances have been pruning every 5 s throughout; by now the seeded sessions are gone.
    const [left] = await query(
      `SELECT count(*)::int AS n FROM sessions WHERE user_id = '00000000-0000-4000-8000-0000000000ed'`,
      [],
    );
    expect(left!.n).toBe(0);
  });
});
