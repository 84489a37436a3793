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
 *   FOCUS_SERVER_ENV='A=1 B=2' extra environment for the (first) server; FOCUS_COMPARE_SERVER_ENV
 *                              for the compared one (the same build with other settings)
 *   FOCUS_SMAPS_DUMP=prefix    write each server's resident memory by mapping size at the end
 *   FOCUS_MAPPINGS=8           how many of the largest mappings the memory report lists
 *   FOCUS_PROFILE=dir          CPU profiles of the (first) server while it serves the measured
 *                              routes (bench/cpu-profile-preload.mjs; bench/profile-summary.ts)
 *   BENCH_SKIP_BUILD=1         reuse the build in FOCUS_DIST_DIR (the compared one is never built)
 *
 * Every figure is CPU time of a server's process tree (/proc), so a busy machine moves it
 * little; compare ratios within one run.
 */
import { createBenchKey, signBenchProof } from "./dpop";
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
import {
  type Measurement,
  TreeMemoryWatch,
  hammer,
  perConnection,
  refreshStorm,
  threadSplitUs,
} from "./measure";
import {
  APP_URL,
  type BenchUser,
  PASSWORD,
  REFRESH_COOKIE,
  benchPort,
  log,
  registerUsers,
} from "./setup";
import { median } from "./stats";

const DIST_DIR = process.env.FOCUS_DIST_DIR ?? ".next-focus";
const COMPARE_DIST_DIR = process.env.FOCUS_COMPARE_DIST_DIR;
const database = process.env.FOCUS_DB === "pg" ? "pg" : "pglite";
const rounds = Number(process.env.FOCUS_ROUNDS ?? 3);
const parts = new Set((process.env.FOCUS_PARTS ?? "refresh,login").split(","));
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const seconds = 3;
const profileDir = process.env.FOCUS_PROFILE ? path.resolve(process.env.FOCUS_PROFILE) : null;

function serverEnv(variable: string): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const pair of (process.env[variable] ?? "").split(/\s+/).filter(Boolean)) {
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

/** Peak resident memory of one process per phase of the run (what it was doing when it grew). */
class PhasePeaks {
  phase = "start";
  readonly peaks = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  constructor(pid: number) {
    this.timer = setInterval(() => {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readStatus(pid));
      if (match) {
        const mib = Number(match[1]) / 1024;
        this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, mib));
      }
    }, 100);
    this.timer.unref();
  }
  describe(): string {
    return [...this.peaks].map(([phase, mib]) => `${phase} ${mib.toFixed(0)}`).join(", ");
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

function readStatus(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return "";
  }
}

type Focused = {
  phases: PhasePeaks;
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
    port: await benchPort(),
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
      ...serverEnv(label === "old" ? "FOCUS_COMPARE_SERVER_ENV" : "FOCUS_SERVER_ENV"),
    },
  });
  const watch = new TreeMemoryWatch(server.pid);
  const phases = new PhasePeaks(server.pid);
  phases.phase = "register";
  log(`${label}: ${distDir} on ${server.url} (pid ${server.pid}, ${database})`);
  const users = await registerUsers(server, connections, `${database}-${label}`);
  return {
    label,
    phases,
    server,
    watch,
    users,
    samples: { health: [], refresh: [], login: [] },
    profiled,
    cleanUp: async () => {
      watch.stop();
      phases.stop();
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
    headers: {
      "content-type": "application/json",
      dpop: signBenchProof(createBenchKey(), "POST", `${server.url}/api/auth/login`),
    },
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
  // The baseline first every round, then the measured routes in alternating order: never two
  // login runs back to back, whose leftover requests (autocannon closes its connections with
  // requests in flight, and the server finishes them) would fill the hash pool and get 503s.
  const measured = ["refresh", "login"].filter((p) => parts.has(p));
  const order = ["health", ...(round % 2 === 1 ? measured.reverse() : measured)];
  for (const which of order) {
    focused.phases.phase = which;
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
      throw new Error(
        `${focused.label} ${which}: ${m.errors} errors, ${m.non2xx} non-2xx ${JSON.stringify(m.statuses)}`,
      );
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
  const split = (list: Measurement[]) => {
    const { mainUs, othersUs } = threadSplitUs(list);
    return `main thread ${mainUs.toFixed(0)} µs + other threads ${othersUs.toFixed(0)} µs`;
  };
  lines.push(
    `  baseline: ${us(samples.health!).toFixed(0)} µs CPU per request (${split(samples.health!)})`,
  );
  for (const which of ["refresh", "login"] as const) {
    const list = samples[which]!;
    if (!list.length) continue;
    lines.push(
      `  ${which}: ${us(list).toFixed(0)} µs CPU each, ${median(list.map((m) => m.perCpuSecond)).toFixed(1)}/CPU-s, ` +
        `${median(ratios(list)).toFixed(3)}× baseline (rounds ${ratios(list)
          .map((r) => r.toFixed(3))
          .join(" ")}); ${split(list)}`,
    );
  }
  lines.push(
    `  peak RSS ${focused.watch.peakMiB().peak.toFixed(0)} MiB; now by mapping (size) resident MiB: ${residentByMapping(focused.server.pid)}`,
  );
  lines.push(`  peak RSS (MiB) by phase: ${focused.phases.describe()}`);
  return lines.join("\n");
}

/**
 * Resident memory now, in the largest mappings (/proc/<pid>/smaps), each with its size: the WASM
 * heap is one mapping of gigabytes of address space, glibc's arenas 64 MiB ones, V8's heap many
 * small ones (counted together as the rest).
 */
function residentByMapping(pid: number): string {
  const mappings: Array<{ name: string; sizeKiB: number; rssKiB: number }> = [];
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const sizeKiB = (parseInt(header[2]!, 16) - parseInt(header[1]!, 16)) / 1024;
      mappings.push({ name: path.basename(header[3]!) || "anon", sizeKiB, rssKiB: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && mappings.length) mappings[mappings.length - 1]!.rssKiB += Number(rss[1]);
  }
  mappings.sort((a, b) => b.rssKiB - a.rssKiB);
  if (process.env.FOCUS_SMAPS_DUMP) {
    const bySize = new Map<string, { count: number; rssKiB: number }>();
    for (const m of mappings) {
      const key = `${m.name} ${Math.round(m.sizeKiB)} KiB`;
      const entry = bySize.get(key) ?? { count: 0, rssKiB: 0 };
      entry.count += 1;
      entry.rssKiB += m.rssKiB;
      bySize.set(key, entry);
    }
    const lines = [...bySize]
      .sort((a, b) => b[1].rssKiB - a[1].rssKiB)
      .map(([key, e]) => `${(e.rssKiB / 1024).toFixed(1)} MiB in ${e.count} × ${key}`);
    fs.writeFileSync(`${process.env.FOCUS_SMAPS_DUMP}-${pid}.txt`, lines.join("\n"));
  }
  const mib = (kib: number) => (kib / 1024).toFixed(0);
  const top = mappings.slice(0, Number(process.env.FOCUS_MAPPINGS ?? 8));
  const rest = mappings.slice(top.length).reduce((sum, m) => sum + m.rssKiB, 0);
  return `${top.map((m) => `${m.name}(${mib(m.sizeKiB)}) ${mib(m.rssKiB)}`).join(", ")}, rest ${mib(rest)} MiB`;
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
      focused.phases.phase = "warm";
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
