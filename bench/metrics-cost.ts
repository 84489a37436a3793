/**
 * `npm run bench:metrics`: what the Prometheus metrics (lib/ops/metrics.ts) cost the protected
 * route, measured side by side in one run.
 *
 * Two servers from the same build (`.next-bench`, built unless BENCH_SKIP_BUILD is set), each on
 * its own embedded database and with its own users: `metrics-on` (the default, every API answer
 * timed into `http_request_duration_seconds`, prom-client's default collectors running) and
 * `metrics-off` (METRICS_ENABLED=0). Each round hammers `GET /api/whoami` (a valid access token,
 * no database read) on both, in alternating order, and takes the ratio of requests per
 * server CPU-second (on ÷ off) within the round; the goal is a median ≥ 0.98 (at most 2% more
 * CPU per request). A last row times a scrape of `/api/metrics` itself (CPU per scrape; a
 * Prometheus scrapes each instance every 15–60 s).
 *
 * On a loaded machine the HTTP ratio's range is wide, so the same run also times the metrics'
 * own work in this process, where nothing else competes within the measurement: `timeRoute`
 * (lib/ops/metrics.ts, what `defineRoute` wraps every answer in) around a trivial handler, with
 * metrics on and off in alternating batches, CPU per call. Their difference, over the protected
 * route's CPU per request with metrics off, is the cost the goal is about.
 *
 * Settings: BENCH_SECONDS (per measurement, default 3), BENCH_ROUNDS (default 8),
 * BENCH_CONNECTIONS (default 10). The table is printed and written to bench/out/metrics-cost.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type AppServer, buildApp, generateKeySet, startApp } from "../scripts/app-server";
import { type Measurement, hammer, perConnection } from "./measure";
import { timeRouteCostUs } from "./metrics-timing";
import { APP_URL, LOG_DIR, OUT_DIR, type BenchUser, benchPort, log, registerUsers } from "./setup";
import { formatSpread, median, pairedRatios, roundOrder, spreadOf } from "./stats";

const DIST_DIR = ".next-bench";
const GOAL_RATIO = 0.98;

function positiveInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function main(): Promise<void> {
  const seconds = positiveInt("BENCH_SECONDS", 3);
  const rounds = positiveInt("BENCH_ROUNDS", 8);
  const connections = positiveInt("BENCH_CONNECTIONS", 10);
  fs.mkdirSync(LOG_DIR, { recursive: true });
  if (!process.env.BENCH_SKIP_BUILD) {
    log(`building the app into ${DIST_DIR}`);
    buildApp(DIST_DIR);
  }
  const keys = generateKeySet();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-bench-metrics-"));
  const servers: AppServer[] = [];
  const start = async (name: string, metrics: "0" | "1") => {
    const server = await startApp({
      port: await benchPort(),
      distDir: DIST_DIR,
      logFile: path.join(LOG_DIR, `${name}.log`),
      env: {
        APP_URL,
        AUTH_SIGNING_KEYS: keys,
        ACCESS_TOKEN_TTL_SECONDS: "3600",
        DATABASE_URL: "",
        DATA_DIR: path.join(tempDir, name),
        METRICS_ENABLED: metrics,
        METRICS_TOKEN: "",
      },
    });
    servers.push(server);
    log(`${name} on ${server.url} (pid ${server.pid})`);
    return server;
  };
  try {
    const on = await start("metrics-on", "1");
    const off = await start("metrics-off", "0");
    const bearerOf = (users: BenchUser[]) =>
      perConnection((slot) => ({
        headers: { authorization: `Bearer ${users[slot % users.length]!.accessToken}` },
      }));
    const targets = {
      on: { server: on, setup: bearerOf(await registerUsers(on, connections, "metrics-on")) },
      off: { server: off, setup: bearerOf(await registerUsers(off, connections, "metrics-off")) },
    };
    const scrape = await fetch(`${on.url}/api/metrics`);
    if (scrape.status !== 200)
      throw new Error(`metrics-on: /api/metrics answered ${scrape.status}`);
    if ((await fetch(`${off.url}/api/metrics`)).status !== 404) {
      throw new Error("metrics-off: /api/metrics should answer 404");
    }

    log("warming both servers");
    for (const { server, setup } of Object.values(targets)) {
      await hammer(server, "/api/whoami", setup, { seconds: 2, connections });
    }
    const samples: Record<"on" | "off", Measurement[]> = { on: [], off: [] };
    for (let round = 0; round < rounds; round++) {
      for (const key of roundOrder(["on", "off"] as const, round)) {
        const { server, setup } = targets[key];
        const m = await hammer(server, "/api/whoami", setup, { seconds, connections });
        if (m.non2xx || m.errors)
          throw new Error(`${key}: ${m.non2xx} non-2xx, ${m.errors} errors`);
        samples[key].push(m);
      }
      log(`round ${round + 1}/${rounds} done`);
    }
    const scrapes = await hammer(
      on,
      "/api/metrics",
      perConnection(() => ({ headers: {} })),
      { seconds: 2, connections: 1 },
    );

    log("timing timeRoute in this process, metrics on and off");
    const inProcess = await timeRouteCostUs(rounds);
    const costUs = inProcess.on - inProcess.off;
    const offRequestUs = median(samples.off.map((m) => (m.cpuSeconds / m.requests) * 1e6));
    const impliedRatio = offRequestUs / (offRequestUs + costUs);

    const ratio = pairedRatios(
      samples.on.map((m) => m.perCpuSecond),
      samples.off.map((m) => m.perCpuSecond),
    );
    const perCpu = (ms: Measurement[]) => spreadOf(ms.map((m) => m.perCpuSecond));
    const cpuUsPerRequest = (ms: Measurement[]) =>
      spreadOf(ms.map((m) => (m.cpuSeconds / m.requests) * 1e6));
    const loads = [...samples.on, ...samples.off].map((m) => m.load1);
    const met = ratio.median >= GOAL_RATIO ? "met" : "not met";
    const impliedMet = impliedRatio >= GOAL_RATIO ? "met" : "not met";
    const table = [
      `# Metrics cost on the protected route (${new Date().toISOString().slice(0, 16)} UTC)`,
      "",
      `${os.cpus().length} cores, load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; ` +
        `${rounds} rounds of ${seconds} s, ${connections} connections, GET /api/whoami.`,
      "",
      "| Row | Median (range) | Goal |",
      "| --- | --- | --- |",
      `| metrics on ÷ off, requests per server CPU-second | ${formatSpread(ratio, 3)} | ≥ ${GOAL_RATIO} (${met}) |`,
      `| metrics on: requests per CPU-second | ${formatSpread(perCpu(samples.on), 0)} | |`,
      `| metrics off: requests per CPU-second | ${formatSpread(perCpu(samples.off), 0)} | |`,
      `| metrics on: CPU µs per request | ${formatSpread(cpuUsPerRequest(samples.on), 0)} | |`,
      `| metrics off: CPU µs per request | ${formatSpread(cpuUsPerRequest(samples.off), 0)} | |`,
      `| in process: \`timeRoute\` CPU µs per call, metrics on / off | ${inProcess.on.toFixed(2)} / ${inProcess.off.toFixed(2)} (cost ${costUs.toFixed(2)} µs) | |`,
      `| that cost over a protected request's CPU (metrics off, above): on ÷ off | ${impliedRatio.toFixed(4)} | ≥ ${GOAL_RATIO} (${impliedMet}) |`,
      `| one scrape of /api/metrics: CPU ms | ${((scrapes.cpuSeconds / scrapes.requests) * 1000).toFixed(2)} | |`,
      "",
    ].join("\n");
    console.log(`\n${table}`);
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(path.join(OUT_DIR, "metrics-cost.md"), table);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

await main();
