/**
 * Faults cost no user (issue 13). Real `next start` processes under a load of virtual users
 * (load-driver.ts) while an instance is killed, the only instance is killed and comes back
 * late, PostgreSQL restarts and its postmaster is killed, a lock on `sessions` outlasts the
 * clients' patience, or the instance is stopped with SIGTERM mid-load. After each fault the
 * test asserts: no user lost, no acknowledged registration or rotation missing, every live
 * session has one unused head token (the one its user holds), no reuse verdict, no 500, and
 * recovery without a restart (except where the fault is the restart).
 *
 * To stay within a few minutes on a small machine, the faults on one database share one
 * instance and one set of users, one after another; each fault reports its own figures. The
 * table is printed as each fault ends and written to test-results/faults/table.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type AppServer,
  PROJECT_ROOT,
  createScratchDatabase,
  migrateDatabase,
  startApp,
} from "@/scripts/app-server";
import { checkInvariants, type Query } from "./invariants";
import { CLIENT_TIMEOUT_MS, LoadDriver, sleep } from "./load-driver";
import { type PrivateCluster, startPrivateCluster } from "./postgres-cluster";

const { distDir, signingKeys } = inject("faults");
const LOG_DIR = path.join(PROJECT_ROOT, "test-results/faults");
const USERS = 16;
/** Longer than the 10 s grace window the issue measured against. */
const DOWNTIME_MS = 11_000;
/** Longer than the clients' timeout (CLIENT_TIMEOUT_MS): they give up while it is held. */
const LOCK_HELD_MS = CLIENT_TIMEOUT_MS + 2_000;
const APP_URL = "http://localhost:8080";

type Row = {
  fault: string;
  database: string;
  users: number;
  requests: number;
  errors: Record<string, number>;
  lost: number;
};
const rows: Row[] = [];

function formatRow(r: Row): string {
  const errors =
    Object.entries(r.errors)
      .map(([kind, n]) => `${n} × ${kind}`)
      .join(", ") || "none";
  return `| ${r.fault} | ${r.database} | ${r.users} | ${r.requests} | ${errors} | ${r.lost} |`;
}

let cluster: PrivateCluster;
beforeAll(async () => {
  const [first, last] = (process.env.FAULTS_PG_PORTS ?? "55440-55449").split("-").map(Number);
  cluster = await startPrivateCluster(first!, last ?? first!);
});

afterAll(() => {
  cluster?.remove();
  const lines = [
    "| Fault | Database | Users | Requests | Errors by kind | Users lost |",
    "|---|---|---|---|---|---|",
    ...rows.map(formatRow),
  ];
  fs.mkdirSync(LOG_DIR, { recursive: true });
  fs.writeFileSync(path.join(LOG_DIR, "table.md"), lines.join("\n") + "\n");
  console.log(`\n${lines.join("\n")}\n`);
});

function commonEnv(dataDir: string): Record<string, string> {
  // The defaults (grace, bounds, shutdown) are what is under test: nothing is tuned here.
  return { APP_URL, AUTH_SIGNING_KEYS: signingKeys, DATA_DIR: dataDir };
}

function start(name: string, env: Record<string, string>, port?: number): Promise<AppServer> {
  return startApp({ distDir, env, port, logFile: path.join(LOG_DIR, `${name}.log`) });
}

function signal(server: AppServer, name: NodeJS.Signals) {
  process.kill(server.pid, name);
  return server.exited;
}

async function pgDatabase(label: string) {
  const database = await createScratchDatabase(cluster.url, `faults_${label}`);
  migrateDatabase(database.url);
  // A fresh connection per check: the database may have restarted since the last one.
  const query: Query = async (sql, params) => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  return { url: database.url, query, drop: database.drop };
}

async function queryPglite<T>(dataDir: string, work: (query: Query) => Promise<T>): Promise<T> {
  const db = new PGlite(path.join(dataDir, "pglite"));
  await db.waitReady;
  try {
    return await work(
      async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows,
    );
  } finally {
    await db.close();
  }
}

/**
 * Settles the users (the app must still be up), records the fault's row, then asserts what
 * every fault must keep, reading the database through `inspect` (PGlite: after stopping the app).
 */
async function finish(
  fault: string,
  database: string,
  driver: LoadDriver,
  inspect: (check: (query: Query) => Promise<void>) => Promise<void>,
) {
  await driver.stop();
  await driver.settle();
  const errors = driver.errorTable();
  const lost = driver.users.filter((u) => u.lostWith);
  const row = {
    fault,
    database,
    users: driver.users.length,
    requests: driver.stats.requests,
    errors,
    lost: lost.length,
  };
  rows.push(row);
  console.log(`[faults] ${formatRow(row)}`);
  expect(lost.map((u) => `${u.email}: ${u.lostWith}`)).toEqual([]);
  expect(Object.keys(errors).filter((k) => /^(500|401)/.test(k))).toEqual([]);
  const check = async (query: Query) => {
    const report = await checkInvariants(query, driver.users);
    expect(report).toEqual({ missingUsers: [], missingTokens: 0, reuseVerdicts: 0, badHeads: [] });
  };
  await inspect(check);
}

/** Load running, then `fault`, then every user completes cycles again: recovery. */
async function underLoad(driver: LoadDriver, fault: () => Promise<void>) {
  driver.resetStats();
  driver.start();
  await driver.waitForProgress(1);
  await fault();
  await driver.waitForProgress(2);
}

describe("two instances on PostgreSQL", () => {
  it("SIGKILL of one of two instances (users spread over both)", async () => {
    const db = await pgDatabase("two");
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), "jwt-faults-")));
    const [a, b] = await Promise.all(
      dirs.map((dir, i) => start(`two-${i}`, { ...commonEnv(dir), DATABASE_URL: db.url })),
    );
    const driver = new LoadDriver([a!.url, b!.url], USERS, "two");
    try {
      await driver.registerAll();
      await underLoad(driver, async () => void (await signal(a!, "SIGKILL")));
      await finish("SIGKILL one of two instances", "PostgreSQL", driver, (check) =>
        check(db.query),
      );
    } finally {
      await driver.stop();
      await Promise.all([a!.stop(), b!.stop()]);
      await db.drop();
    }
  });
});

describe("one instance on PostgreSQL (a private cluster)", () => {
  let db: Awaited<ReturnType<typeof pgDatabase>>;
  let env: Record<string, string>;
  let server: AppServer;
  let driver: LoadDriver;
  beforeAll(async () => {
    db = await pgDatabase("one");
    env = {
      ...commonEnv(fs.mkdtempSync(path.join(os.tmpdir(), "jwt-faults-"))),
      DATABASE_URL: db.url,
    };
    server = await start("pg", env);
    driver = new LoadDriver([server.url], USERS, "pg");
    // Sent the moment the instance answers: the cold-start burst.
    await driver.registerAll();
  });
  afterAll(async () => {
    await driver?.stop();
    await server?.stop();
    await db?.drop().catch(() => {});
  });

  it(`a lock on sessions held ${LOCK_HELD_MS / 1000} s, longer than the clients' timeout`, async () => {
    await underLoad(driver, async () => {
      const holder = new pg.Client({ connectionString: db.url });
      await holder.connect();
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE sessions IN EXCLUSIVE MODE");
      await sleep(LOCK_HELD_MS);
      await holder.query("ROLLBACK");
      await holder.end();
    });
    await finish(`lock on sessions for ${LOCK_HELD_MS / 1000} s`, "PostgreSQL", driver, (check) =>
      check(db.query),
    );
  });

  it("PostgreSQL restart, then SIGKILL of its postmaster", async () => {
    await underLoad(driver, async () => {
      await cluster.restart();
      await driver.waitForProgress(1);
      await cluster.killPostmasterAndStart();
    });
    await finish("PostgreSQL restart + postmaster SIGKILL", "PostgreSQL", driver, (check) =>
      check(db.query),
    );
  });

  it(`SIGKILL of the only instance, back after ${DOWNTIME_MS / 1000} s`, async () => {
    await underLoad(driver, async () => {
      await signal(server, "SIGKILL");
      await sleep(DOWNTIME_MS);
      server = await start("pg-restarted", env, server.port);
    });
    await finish("SIGKILL the only instance", "PostgreSQL", driver, (check) => check(db.query));
  });
});

describe("one instance on PGlite", () => {
  let dataDir: string;
  let env: Record<string, string>;
  let server: AppServer;
  let driver: LoadDriver;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-faults-"));
    env = commonEnv(dataDir);
    server = await start("pglite", env);
    driver = new LoadDriver([server.url], USERS, "pglite");
    await driver.registerAll();
  });
  afterAll(async () => {
    await driver?.stop();
    await server?.stop();
  });

  it(`SIGKILL of the only instance, back after ${DOWNTIME_MS / 1000} s`, async () => {
    await underLoad(driver, async () => {
      await signal(server, "SIGKILL");
      await sleep(DOWNTIME_MS);
      server = await start("pglite-restarted", env, server.port);
    });
    // PGlite belongs to the app's process: stop it before the test opens the folder.
    await finish("SIGKILL the only instance", "PGlite", driver, async (check) => {
      await server.stop();
      await queryPglite(dataDir, check);
    });
    server = await start("pglite-again", env, server.port);
  });

  it("SIGTERM under load drains, exits on its own and loses nobody", async () => {
    let underLoadMs = 0;
    await underLoad(driver, async () => {
      const sentAt = Date.now();
      const exit = await signal(server, "SIGTERM");
      underLoadMs = Date.now() - sentAt;
      // 143: drained and closed, not the SHUTDOWN_TIMEOUT_MS hard stop (exit 1).
      expect(exit).toEqual({ code: 143, signal: null });
      server = await start("pglite-after-sigterm", env, server.port);
    });
    await finish(
      `SIGTERM under load (exit after ${(underLoadMs / 1000).toFixed(1)} s)`,
      "PGlite",
      driver,
      async (check) => {
        const idleAt = Date.now();
        expect(await signal(server, "SIGTERM")).toEqual({ code: 143, signal: null });
        const idleMs = Date.now() - idleAt;
        console.log(`[faults] SIGTERM: exit after ${underLoadMs} ms under load, ${idleMs} ms idle`);
        await queryPglite(dataDir, check);
      },
    );
  });
});

describe("a configuration error", () => {
  // Next 16 keeps a server whose register() threw alive, answering 500 to everything: the app
  // must exit instead (lib/server-start.ts), so a supervisor or load balancer sees it is down.
  it.each([
    [
      "a variable out of range",
      { ACCESS_TOKEN_TTL_SECONDS: "0" },
      /\[config\] Invalid configuration:\s+ACCESS_TOKEN_TTL_SECONDS: must be greater than zero/,
    ],
    [
      "signing keys of another algorithm (found only by loading the keys)",
      { ACCESS_TOKEN_ALG: "RS256" },
      /\[config\] ACCESS_TOKEN_ALG is RS256, but the first key of AUTH_SIGNING_KEYS/,
    ],
    [
      "the inspector's scenarios forced on while listening on every interface (issue 26)",
      { HOST: "0.0.0.0", AUTH_DEV_SCENARIOS: "1" },
      /AUTH_DEV_SCENARIOS=1 .* HOST is 0\.0\.0\.0, so the server listens beyond this machine/,
    ],
  ])("%s: the server exits at start and says what to fix", async (_, bad, message) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "faults-config-"));
    try {
      const starting = startApp({
        distDir,
        env: { ...commonEnv(dataDir), ...bad },
        logFile: path.join(LOG_DIR, "config-error.log"),
        prestart: false,
      });
      const failure = await starting.then(
        async (server) => {
          await server.stop();
          return "it started";
        },
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/next start exited early/);
      expect(failure).toMatch(message);
      expect(failure).toMatch(/The server did not start/);
      expect(failure).not.toContain(signingKeys);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
