/**
 * Faults cost no user (issue 13). Real `next start` processes under a load of virtual users
 * (load-driver.ts) while an instance is killed, the only instance is killed and comes back
 * late, PostgreSQL restarts and its postmaster is killed, a lock on `sessions` outlasts the
 * clients' patience, or the instance is stopped with SIGTERM mid-load. Each test asserts:
 * no user lost, no acknowledged registration or rotation missing, every live session has one
 * unused head token, no reuse verdict, no 500, and recovery without a restart (except where
 * the fault is the restart). The table of figures is printed at the end and written to
 * test-results/faults/table.md.
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
import { LoadDriver, sleep } from "./load-driver";
import { type PrivateCluster, startPrivateCluster } from "./postgres-cluster";

const { distDir, signingKeys } = inject("faults");
const LOG_DIR = path.join(PROJECT_ROOT, "test-results/faults");
const USERS = 16;
/** Longer than the grace window the issue measured against (10 s). */
const DOWNTIME_MS = 11_000;
const APP_URL = "http://localhost:8080";

type Row = {
  fault: string;
  database: string;
  users: number;
  requests: number;
  errors: Record<string, number>;
  lost: number;
  note?: string;
};
const rows: Row[] = [];

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
    ...rows.map(
      (r) =>
        `| ${r.fault}${r.note ? ` (${r.note})` : ""} | ${r.database} | ${r.users} | ${r.requests} | ${
          Object.entries(r.errors)
            .map(([k, v]) => `${v} × ${k}`)
            .join(", ") || "none"
        } | ${r.lost} |`,
    ),
  ];
  fs.mkdirSync(LOG_DIR, { recursive: true });
  fs.writeFileSync(path.join(LOG_DIR, "table.md"), lines.join("\n") + "\n");
  console.log(`\n${lines.join("\n")}\n`);
});

function common(dataDir: string): Record<string, string> {
  return {
    APP_URL,
    AUTH_SIGNING_KEYS: signingKeys,
    DATA_DIR: dataDir,
    // The defaults are what is under test; nothing about the grace or the bounds is tuned here.
  };
}

async function withPgDatabase(label: string) {
  const database = await createScratchDatabase(cluster.url, `faults_${label}`);
  migrateDatabase(database.url);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const query: Query = async (sql, params) => (await client.query(sql, params)).rows;
  return {
    url: database.url,
    query,
    client,
    drop: async () => {
      await client.end().catch(() => {});
      await database.drop();
    },
  };
}

async function queryPglite(dataDir: string): Promise<{ query: Query; close: () => Promise<void> }> {
  const db = new PGlite(path.join(dataDir, "pglite"));
  await db.waitReady;
  return {
    query: async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows,
    close: () => db.close(),
  };
}

function start(name: string, env: Record<string, string>, port?: number): Promise<AppServer> {
  return startApp({ distDir, env, port, logFile: path.join(LOG_DIR, `${name}.log`) });
}

async function kill(server: AppServer, signal: NodeJS.Signals = "SIGKILL") {
  process.kill(server.pid, signal);
  return server.exited;
}

/** The assertions every fault shares, and its row in the table. */
async function finish(
  fault: string,
  database: string,
  driver: LoadDriver,
  query: Query,
  note?: string,
) {
  const errors = driver.errorTable();
  const lost = driver.users.filter((u) => u.lostWith);
  rows.push({
    fault,
    database,
    users: driver.users.length,
    requests: driver.stats.requests,
    errors,
    lost: lost.length,
    note,
  });
  const report = await checkInvariants(query, driver.users);
  expect(lost.map((u) => `${u.email}: ${u.lostWith}`)).toEqual([]);
  expect(Object.keys(errors).filter((k) => k.startsWith("500") || k.startsWith("401"))).toEqual([]);
  expect(report).toEqual({ missingUsers: [], missingTokens: 0, reuseVerdicts: 0, badHeads: [] });
}

describe("faults cost no user", () => {
  it("SIGKILL of one of two instances on PostgreSQL (users spread over both)", async () => {
    const db = await withPgDatabase("two");
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), "jwt-faults-")));
    const [a, b] = await Promise.all([
      start("two-a", { ...common(dirs[0]!), DATABASE_URL: db.url }),
      start("two-b", { ...common(dirs[1]!), DATABASE_URL: db.url }),
    ]);
    const driver = new LoadDriver([a!.url, b!.url], USERS, "two");
    try {
      await driver.registerAll();
      driver.start();
      await driver.waitForProgress(2);
      await kill(a!);
      await driver.waitForProgress(3);
      await driver.stop();
      await driver.settle();
      await finish("SIGKILL one of two instances", "PostgreSQL", driver, db.query);
    } finally {
      await driver.stop();
      await Promise.all([a!.stop(), b!.stop()]);
      await db.drop();
    }
  });

  for (const database of ["PGlite", "PostgreSQL"] as const) {
    it(`SIGKILL of the only instance on ${database}, back after ${DOWNTIME_MS / 1000} s`, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-faults-"));
      const db = database === "PostgreSQL" ? await withPgDatabase("only") : null;
      const env = { ...common(dataDir), ...(db && { DATABASE_URL: db.url }) };
      let server = await start(`only-${database}`, env);
      // Registrations arrive the moment the instance is up: the cold-start burst.
      const driver = new LoadDriver([server.url], USERS, `only${database}`);
      try {
        await driver.registerAll();
        driver.start();
        await driver.waitForProgress(2);
        await kill(server);
        await sleep(DOWNTIME_MS);
        server = await start(`only-${database}-restarted`, env, server.port);
        await driver.waitForProgress(3);
        await driver.stop();
        await driver.settle();
        if (db) {
          await finish("SIGKILL the only instance", database, driver, db.query);
        } else {
          await server.stop();
          const local = await queryPglite(dataDir);
          try {
            await finish("SIGKILL the only instance", database, driver, local.query);
          } finally {
            await local.close();
          }
        }
      } finally {
        await driver.stop();
        await server.stop();
        await db?.drop();
      }
    });
  }

  it("PostgreSQL restart, then SIGKILL of its postmaster", async () => {
    const db = await withPgDatabase("pgrestart");
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-faults-"));
    const server = await start("pg-restart", { ...common(dataDir), DATABASE_URL: db.url });
    const driver = new LoadDriver([server.url], USERS, "pgrestart");
    try {
      await driver.registerAll();
      driver.start();
      await driver.waitForProgress(2);
      cluster.restart();
      await driver.waitForProgress(2);
      await cluster.killPostmasterAndStart();
      await driver.waitForProgress(3);
      await driver.stop();
      await driver.settle();
      // The test's own connection died with the server; open a new one.
      const fresh = new pg.Client({ connectionString: db.url });
      await fresh.connect();
      try {
        await finish(
          "PostgreSQL restart + postmaster SIGKILL",
          "PostgreSQL",
          driver,
          async (sql, p) => (await fresh.query(sql, p)).rows,
        );
      } finally {
        await fresh.end();
      }
    } finally {
      await driver.stop();
      await server.stop();
      await db.drop().catch(() => {});
    }
  });

  it("a lock on sessions held longer than the clients' timeout", async () => {
    const db = await withPgDatabase("lock");
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-faults-"));
    const server = await start("lock", { ...common(dataDir), DATABASE_URL: db.url });
    const driver = new LoadDriver([server.url], USERS, "lock");
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await driver.registerAll();
      driver.start();
      await driver.waitForProgress(2);
      const errorsBefore = driver.stats.requests;
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE sessions IN EXCLUSIVE MODE");
      // Held until every user has met it at least once (or well past the clients' 5 s).
      await sleep(7_000);
      await holder.query("ROLLBACK");
      expect(driver.stats.requests).toBeGreaterThan(errorsBefore);
      await driver.waitForProgress(3);
      await driver.stop();
      await driver.settle();
      await finish(
        "lock on sessions for 7 s (clients give up after 5 s)",
        "PostgreSQL",
        driver,
        db.query,
      );
    } finally {
      await driver.stop();
      await holder.end().catch(() => {});
      await server.stop();
      await db.drop();
    }
  });

  it("SIGTERM under load drains, exits cleanly and loses nobody", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-faults-"));
    const env = common(dataDir);
    let server = await start("sigterm", env);
    const driver = new LoadDriver([server.url], USERS, "sigterm");
    try {
      await driver.registerAll();
      driver.start();
      await driver.waitForProgress(2);
      const sentAt = Date.now();
      const exit = await kill(server, "SIGTERM");
      const underLoadMs = Date.now() - sentAt;
      // 143: the drain finished and exited on its own (not the SHUTDOWN_TIMEOUT_MS hard stop).
      expect(exit).toEqual({ code: 143, signal: null });
      server = await start("sigterm-restarted", env, server.port);
      await driver.waitForProgress(2);
      await driver.stop();
      await driver.settle();
      const idleAt = Date.now();
      expect(await kill(server, "SIGTERM")).toEqual({ code: 143, signal: null });
      const idleMs = Date.now() - idleAt;
      const local = await queryPglite(dataDir);
      try {
        await finish(
          "SIGTERM under load",
          "PGlite",
          driver,
          local.query,
          `exit after ${(underLoadMs / 1000).toFixed(1)} s under load, ${(idleMs / 1000).toFixed(1)} s idle`,
        );
      } finally {
        await local.close();
      }
    } finally {
      await driver.stop();
      await server.stop();
    }
  });
});
