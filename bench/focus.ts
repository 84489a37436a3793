/**
 * `npm run bench:focus`: the figures of issue 14 only (rotation and login per server CPU-second
 * against the baseline, peak resident memory) on one database, in a few minutes instead of
 * `npm run bench`'s eight. For trying a change; the full bench is the record.
 *
 *   FOCUS_DB=pglite|pg         which database (default pglite; pg makes a scratch database on
 *                              DATABASE_URL's server, or the local default, and drops it after)
 *   FOCUS_ROUNDS=3             interleaved rounds of baseline, refresh and login
 *   FOCUS_PARTS=refresh,login  which to measure
 *   FOCUS_DIST_DIR=.next-focus the build to serve
 *   FOCUS_COMPARE_DIST_DIR=dir a second build (of the code before a change) served side by side,
 *                              on its own database, its rounds interleaved with the first's
 *   FOCUS_SERVER_ENV='A=1 B=2' extra environment for the servers
 *   FOCUS_PROFILE=dir          CPU profiles of the (first) server while it serves the measured
 *                              routes (bench/cpu-profile-preload.mjs; bench/profile-summary.ts)
 *   BENCH_SKIP_BUILD=1         reuse the build in FOCUS_DIST_DIR (the compared one is never built)
 *
 * Every figure is CPU time of a server's process tree (/proc), so a busy machine moves it
 * little; compare ratios within one run.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  type AppServer,
  PROJECT_ROOT,
  buildApp,
  createScratchDatabase,
  generateKeySet,
  migrateDatabase,
  startApp,
} from "../scripts/app-server";
import { type Measurement, TreeMemoryWatch, hammer, perConnection, refreshStorm } from "./measure";
import { APP_URL, type BenchUser, PASSWORD, REFRESH_COOKIE, log, registerUsers } from "./setup";
import { median } from "./stats";

const DIST_DIR = process.env.FOCUS_DIST_DIR ?? ".next-focus";
const COMPARE_DIST_DIR = process.env.FOCUS_COMPARE_DIST_DIR;
const database = process.env.FOCUS_DB === "pg" ? "pg" : "pglite";
const rounds = Number(process.env.FOCUS_ROUNDS ?? 3);
const parts = new Set((process.env.FOCUS_PARTS ?? "refresh,login").split(","));
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const seconds = 3;
const profileDir = process.env.FOCUS_PROFILE ? path.resolve(process.env.FOCUS_PROFILE) : null;

function serverEnv(): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const pair of (process.env.FOCUS_SERVER_ENV ?? "").split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf("=");
    extra[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return extra;
}

function profilerEnv(): Record<string, string> {
  if (!profileDir) return {};
  const preload = pathToFileURL(path.join(PROJECT_ROOT, "bench/cpu-profile-preload.mjs"));
  return { NODE_OPTIONS: `--import ${preload.href}`, FOCUS_PROFILE: profileDir };
}

type Focused = {
  label: string;
  server: AppServer;
  watch: TreeMemoryWatch;
  users: BenchUser[];
  samples: Record<string, Measurement[]>;
  profiled: boolean;
  cleanUp: () => Promise<void>;
};

async function startFocused(label: string, distDir: string, profiled: boolean): Promise<Focused> {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-focus-"));
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl = "";
  if (database === "pg") {
    const serverUrl = process.env.DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
    const scratch = await createScratchDatabase(serverUrl, "jwt_focus");
    drop = scratch.drop;
    migrateDatabase(scratch.url);
    databaseUrl = scratch.url;
  }
  const server = await startApp({
    distDir,
    logFile: path.join(PROJECT_ROOT, `bench/out/logs/focus-${label}.log`),
    env: {
      APP_URL,
      AUTH_SIGNING_KEYS: generateKeySet(),
      ACCESS_TOKEN_TTL_SECONDS: "3600",
      TRUST_PROXY: "0",
      DATABASE_URL: databaseUrl,
      DATA_DIR: tempDir,
      ...(profiled ? profilerEnv() : {}),
      ...serverEnv(),
    },
  });
  const watch = new TreeMemoryWatch(server.pid);
  log(`${label}: ${distDir} on ${server.url} (pid ${server.pid}, ${database})`);
  const users = await registerUsers(server, connections, `${database}-${label}`);
  return {
    label,
    server,
    watch,
    users,
    samples: { health: [], refresh: [], login: [] },
    profiled,
    cleanUp: async () => {
      watch.stop();
      await server.stop();
      await drop?.();
      fs.rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

function routes(focused: Focused) {
  const { server, users } = focused;
  const noHeaders = perConnection(() => ({ headers: {} }));
  const loginBody = perConnection((slot) => ({
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: users[slot % users.length]!.email, password: PASSWORD }),
  }));
  const chains = users.map((u) => u.chain);
  return {
    health: (s = seconds) => hammer(server, "/api/health", noHeaders, { seconds: s, connections }),
    refresh: (amount = connections * 30) => refreshStorm(server, chains, amount, REFRESH_COOKIE),
    login: (s = seconds) =>
      hammer(server, "/api/auth/login", loginBody, { seconds: s, connections }, { method: "POST" }),
  };
}

async function measureRound(focused: Focused, round: number): Promise<void> {
  const run = routes(focused);
  const order = ["health", ...["refresh", "login"].filter((p) => parts.has(p))];
  if (round % 2 === 1) order.reverse();
  for (const which of order) {
    // The profile covers the measured route only, not its baseline.
    const profiled = focused.profiled && which !== "health";
    if (profiled) process.kill(focused.server.pid, "SIGUSR2");
    const m = await (which === "health"
      ? run.health()
      : which === "refresh"
        ? run.refresh()
        : run.login());
    if (profiled) {
      process.kill(focused.server.pid, "SIGUSR2");
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    if (m.errors || m.non2xx) {
      throw new Error(`${focused.label} ${which}: ${m.errors} errors, ${m.non2xx} non-2xx`);
    }
    focused.samples[which]!.push(m);
  }
}

function report(focused: Focused): string {
  const { samples } = focused;
  const failures = focused.users.reduce((sum, u) => sum + u.chain.failures, 0);
  if (failures) throw new Error(`${focused.label}: ${failures} refreshes refused`);
  const us = (list: Measurement[]) => 1e6 / median(list.map((m) => m.perCpuSecond));
  const ratios = (list: Measurement[]) =>
    list.map((m, i) => m.perCpuSecond / samples.health![i]!.perCpuSecond);
  const lines = [`${focused.label} (${database}):`];
  lines.push(`  baseline: ${us(samples.health!).toFixed(0)} µs CPU per request`);
  for (const which of ["refresh", "login"] as const) {
    const list = samples[which]!;
    if (!list.length) continue;
    lines.push(
      `  ${which}: ${us(list).toFixed(0)} µs CPU each, ${median(list.map((m) => m.perCpuSecond)).toFixed(1)}/CPU-s, ` +
        `${median(ratios(list)).toFixed(3)}× baseline (rounds ${ratios(list)
          .map((r) => r.toFixed(3))
          .join(" ")})`,
    );
  }
  lines.push(`  peak RSS ${focused.watch.peakMiB().peak.toFixed(0)} MiB`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  if (!process.env.BENCH_SKIP_BUILD) {
    log(`building into ${DIST_DIR}`);
    buildApp(DIST_DIR);
  }
  const all: Focused[] = [];
  try {
    all.push(await startFocused("new", DIST_DIR, profileDir !== null));
    if (COMPARE_DIST_DIR) all.push(await startFocused("old", COMPARE_DIST_DIR, false));
    log("warming");
    for (const focused of all) {
      const run = routes(focused);
      await run.health(2);
      if (parts.has("refresh")) await run.refresh(connections * 10);
      if (parts.has("login")) await run.login(2);
    }
    for (let round = 0; round < rounds; round++) {
      for (const focused of round % 2 ? [...all].reverse() : all) {
        await measureRound(focused, round);
      }
      log(`round ${round + 1}/${rounds}, load ${os.loadavg()[0]!.toFixed(1)}`);
    }
    if (profileDir) log(`CPU profiles of the measured routes written to ${profileDir}`);
    console.log(all.map(report).join("\n"));
  } finally {
    for (const focused of all) await focused.cleanUp();
  }
}

await main();
