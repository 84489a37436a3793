/**
 * Two app instances behind an imaginary load balancer, sharing one PostgreSQL:
 * a fresh database for this run (migrated once by `npm run db:migrate`, as a
 * release would), one build in `.next-multi`, and two `next start` processes
 * on two free ports with the same APP_URL and TRUST_PROXY=1.
 *
 * The two instances are caught mid-way through a signing-key rotation, as a
 * rolling deploy leaves them: A already signs with the new key K2
 * (`{keys:[K2,K1]}`), B still signs with K1 (`{keys:[K1,K2]}`). Everything
 * else about them is identical.
 *
 * Needs DATABASE_URL (any database on the server; it is only used to create
 * and drop the scratch database). MULTI_PREBUILT=1 reuses an existing
 * `.next-multi` build.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import {
  type AppServer,
  PROJECT_ROOT,
  buildApp,
  createScratchDatabase,
  generateKeySet,
  migrateDatabase,
  startApp,
} from "@/scripts/app-server";

export type MultiInstanceContext = {
  a: string;
  b: string;
  databaseUrl: string;
  /** The public origin both instances name as issuer and audience. */
  appUrl: string;
  oldKid: string;
  newKid: string;
};

declare module "vitest" {
  export interface ProvidedContext {
    multi: MultiInstanceContext;
  }
}

const DIST_DIR = ".next-multi";
const LOG_DIR = path.join(PROJECT_ROOT, "test-results/multi-instance");
/** The load balancer's origin: what browsers see, and what tokens name. */
const APP_URL = "http://localhost:8080";

export default async function setup(project: TestProject) {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl || !/^postgres(ql)?:\/\//.test(serverUrl)) {
    throw new Error(
      "The multi-instance test needs a PostgreSQL server: set DATABASE_URL, " +
        "e.g. DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run test:multi",
    );
  }
  const started = Date.now();
  const step = (what: string) =>
    console.log(`[multi] ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  const database = await createScratchDatabase(serverUrl, "jwt_multi");
  const servers: AppServer[] = [];
  const dataDirs: string[] = [];
  const teardown = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await database.drop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    step(`fresh database ${database.name}`);
    migrateDatabase(database.url);
    step("migrated with `npm run db:migrate`");
    if (!process.env.MULTI_PREBUILT) {
      buildApp(DIST_DIR);
      step(`built into ${DIST_DIR}`);
    }

    const oldKeys = generateKeySet(); // {keys:[K1]}
    const stage1 = generateKeySet(oldKeys); // {keys:[K1,K2]}: K2 known, K1 signs
    const [k1, k2] = (JSON.parse(stage1) as { keys: [{ kid: string }, { kid: string }] }).keys;
    const stage2 = JSON.stringify({ keys: [...JSON.parse(stage1).keys].reverse() }); // K2 signs

    fs.mkdirSync(LOG_DIR, { recursive: true });
    const common = {
      DATABASE_URL: database.url,
      APP_URL,
      TRUST_PROXY: "1",
      ACCESS_TOKEN_TTL_SECONDS: "300",
      // Wide, so a slow CI machine never lets the 50-request storm outlast it.
      REFRESH_GRACE_SECONDS: "30",
    };
    const starting = (
      [
        ["a", stage2],
        ["b", stage1],
      ] as const
    ).map(([name, keys]) => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `jwt-multi-${name}-`));
      dataDirs.push(dataDir);
      return startApp({
        distDir: DIST_DIR,
        logFile: path.join(LOG_DIR, `${name}.log`),
        // Separate data folders: nothing can be shared through local files.
        env: {
          ...common,
          AUTH_SIGNING_KEYS: keys,
          DATA_DIR: dataDir,
        },
      }).then((server) => {
        servers.push(server);
        return server;
      });
    });
    const settled = await Promise.allSettled(starting);
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    servers.sort((x, y) => (x.logFile < y.logFile ? -1 : 1)); // a, then b
    step(`instance A on ${servers[0]!.url}, instance B on ${servers[1]!.url}`);
    project.provide("multi", {
      a: servers[0]!.url,
      b: servers[1]!.url,
      databaseUrl: database.url,
      appUrl: APP_URL,
      oldKid: k1.kid,
      newKid: k2.kid,
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
