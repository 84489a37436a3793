/**
 * `npm run bench`: what authentication costs per request, measured.
 *
 * Builds the app into `.next-bench` (and the Auth.js peer in bench/peer),
 * starts each server as its own `next start` process on a free port, and
 * drives them from this process over loopback with autocannon:
 *
 *   ours            the app on a fresh embedded database (PGlite)
 *   ours-pg         the app on a fresh scratch database on PostgreSQL
 *   ours-pg-logged  the same database, its connections with log_statement=all
 *                   (idle until the statement count at the end)
 *   ours-nocache    ACCESS_TOKEN_CACHE_SIZE=0: every request checks the signature
 *   peer            bench/peer: Auth.js (next-auth v5), JWT sessions, `await auth()`
 *
 * The order of events, and why:
 *   1. every server is warmed (each route it will serve, refresh and login
 *      too) before any baseline is taken: a cold server's first seconds are
 *      compilation, which would flatter whatever is measured after it;
 *   2. interleaved rounds (forward, then backward) of baseline and measured
 *      route on the same server, each ratio taken within a round; the table
 *      shows the median and range over rounds;
 *   3. exact refresh runs (one chain per connection; afterwards the database
 *      must hold exactly the rotations acknowledged), with PostgreSQL's own
 *      backend CPU read from /proc around each run;
 *   4. the cookie curve (bench/cookie-flood.ts: CPU per request by the number of cookies a
 *      request carries, the cap's 431 above MAX_REQUEST_COOKIES), then the statement count on
 *      the logged server, then memory peaks;
 *   5. the servers stop, and only then the in-process CPU timings (auth step,
 *      argon2id verify, token algorithms), so they do not compete with them.
 *
 * Modules: setup.ts (servers, users, checks), measure.ts (instruments),
 * stats.ts (medians, ratios, goals), report.ts (Markdown). Settings and the
 * database it uses: docs/benchmark.md.
 */
import { createBenchKey, learnBenchNonce, signBenchProof } from "./dpop";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import prettier from "prettier";
import { PGLITE_SETTINGS } from "../lib/db/adapter";
import type { AppServer } from "../scripts/app-server";
import {
  type Chain,
  type Measurement,
  TreeMemoryWatch,
  backendCpuDelta,
  countLoggedStatements,
  fileSize,
  findPostgresLog,
  hammer,
  perConnection,
  readBackendCpu,
  readSetCookie,
  refreshStorm,
  threadSplitUs,
  timeAuthStep,
  timePasswordVerification,
  timeTokenAlgorithms,
} from "./measure";
import {
  type CookieCurvePoint,
  cookieCurveProblems,
  cookieFloodGoal,
  measureCookieCurve,
  renderCookieCurve,
} from "./cookie-flood";
import {
  type DeployFigures,
  SMALL_TOKENS,
  deployRatio,
  deploySettings,
  deployUs,
  measureDeployment,
  perAll,
  perApp,
  renderDeployment,
} from "./deployment";
import { timeRouteCostUs } from "./metrics-timing";
import { type GoalRow, type Report, type Row, renderFull, renderSummary } from "./report";
import {
  APP_URL,
  type BenchUser,
  type ChainCheck,
  LOG_DIR,
  OUT_DIR,
  PASSWORD,
  PEER_COOKIE,
  REFRESH_COOKIE,
  RESULTS_PATH,
  checkChains,
  log,
  machine,
  mintPeerCookies,
  peerVersion,
  readSettings,
  registerUsers,
  startFleet,
} from "./setup";
import {
  type Spread,
  hashBoundPerSecond,
  judge,
  median,
  pairedRatios,
  roundOrder,
  spreadOf,
} from "./stats";

const settings = readSettings(process.argv);
const short = { seconds: settings.seconds, connections: settings.connections };
const long = { seconds: settings.longSeconds, connections: settings.connections };
const STATEMENT_SAMPLE = 20;
const LOGIN_STATEMENT_SAMPLE = 10;

/**
 * The load generator stops with up to one login per connection still in the server, each holding
 * a place in its hash pool; the next round's first logins would find the pool full (503
 * server_busy, the pool doing its job). A second lets them finish; the logins take ~100 ms each.
 */
const afterLogins = () => new Promise((resolve) => setTimeout(resolve, 1000));

type DpopProofTiming = { ms: number; floorMs: number; load: number } | null;

/**
 * `npm run bench:dpop` (bench/dpop-proof.ts) in a child process, after the servers stopped: the
 * CPU of `verifyDpopProof` per proof, in-process over 4000 proofs, and a bare ES256 check in the
 * same run. A child, because it opens its own embedded database and environment.
 */
function timeDpopProofInChild(): DpopProofTiming {
  const result = spawnSync("npm", ["run", "-s", "bench:dpop"], {
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: "" },
  });
  const match = /([\d.]+) ms CPU per proof.*?a bare ES256 check costs ([\d.]+) ms/s.exec(
    result.stdout ?? "",
  );
  if (!match) {
    log(`bench:dpop gave no figure: ${result.stdout}${result.stderr}`);
    return null;
  }
  return { ms: Number(match[1]), floorMs: Number(match[2]), load: os.loadavg()[0]! };
}

/** Median and range over rounds of `a − b` (paired by round). */
function pairedDifferences(a: readonly number[], b: readonly number[]): Spread {
  const n = Math.min(a.length, b.length);
  return spreadOf(Array.from({ length: n }, (_, i) => a[i]! - b[i]!));
}

/** Medians of each field over rounds; counts summed. */
function medianOf(samples: Measurement[]): Measurement {
  const mid = (pick: (m: Measurement) => number) => median(samples.map(pick));
  return {
    rps: mid((s) => s.rps),
    perCpuSecond: mid((s) => s.perCpuSecond),
    cpuSeconds: mid((s) => s.cpuSeconds),
    mainThreadCpuSeconds: mid((s) => s.mainThreadCpuSeconds),
    p50: mid((s) => s.p50),
    p99: mid((s) => s.p99),
    requests: samples.reduce((sum, s) => sum + s.requests, 0),
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    non2xx: samples.reduce((sum, s) => sum + s.non2xx, 0),
    statuses: samples.reduce<Record<string, number>>((sum, s) => {
      for (const [code, count] of Object.entries(s.statuses)) sum[code] = (sum[code] ?? 0) + count;
      return sum;
    }, {}),
    load1: mid((s) => s.load1),
  };
}

const loads = (...sets: Measurement[][]) => sets.flat().map((m) => m.load1);

type RefreshKey = "pglite" | "pg" | "pglite-nobind" | "pg-nobind";
type RefreshTarget = {
  key: RefreshKey;
  label: string;
  server: AppServer;
  chains: Chain[];
  postgres?: { admin: pg.Client; name: string };
};
type Statements = {
  perRotation: number;
  byKind: Record<string, number>;
  perLogin: number;
  loginByKind: Record<string, number>;
  load: number;
};
type RefreshRound = { baseline: Measurement; refresh: Measurement; dbCpuSeconds: number | null };

async function main(): Promise<void> {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const loadAtStart = os.loadavg();
  const loadSamples: number[] = [];
  const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]!), 2000);
  const fleet = await startFleet(settings);
  process.on("SIGINT", () => void fleet.cleanUp().then(() => process.exit(130)));
  const watches = new Map<AppServer, TreeMemoryWatch>();
  const admins: pg.Client[] = [];
  try {
    const { ours, noCache, peer, oursPg, oursPgLogged, oursNoBind, oursPgNoBind, noMetrics } =
      fleet;
    const { postgres } = fleet;
    for (const server of [ours, noCache, peer, oursPg, oursPgLogged, oursNoBind, oursPgNoBind]) {
      if (server) watches.set(server, new TreeMemoryWatch(server.pid));
    }

    log(`registering ${settings.connections} users on each of our databases`);
    const oursUsers = await registerUsers(ours, settings.connections, "pglite");
    const pgUsers = oursPg ? await registerUsers(oursPg, settings.connections, "pg") : [];
    const loggedUsers = oursPgLogged ? await registerUsers(oursPgLogged, 1, "logged") : [];
    // Its own users: until its revocation listener is live, a server checks a token's session in
    // its own database (lib/auth/revocation.ts), and PGlite's sessions are not in it.
    const noCacheUsers = await registerUsers(noCache, settings.connections, "nocache");
    const noMetricsUsers = await registerUsers(noMetrics, settings.connections, "nometrics");
    // Bearer sessions (DPOP_BINDING=off): the same rotation without a proof, for the proof's cost.
    const noBindUsers = await registerUsers(oursNoBind, settings.connections, "nobind", {
      bound: false,
    });
    const pgNoBindUsers = oursPgNoBind
      ? await registerUsers(oursPgNoBind, settings.connections, "pgnobind", { bound: false })
      : [];
    const peerCookies = mintPeerCookies(fleet.peerSecret, settings.connections);

    const bearerOf = (users: BenchUser[]) => (slot: number) => ({
      headers: { authorization: `Bearer ${users[slot % users.length]!.accessToken}` },
    });
    const bearer = bearerOf(oursUsers);
    const peerCookie = (slot: number) => ({
      headers: { cookie: `${PEER_COOKIE}=${peerCookies[slot % peerCookies.length]}` },
    });
    const noHeaders = perConnection(() => ({ headers: {} }));
    // A login's proof needs no nonce and is not recorded (lib/auth/dpop.ts): one per connection,
    // signed as each run starts (so its iat is fresh), binds that connection's sessions.
    const loginBody = perConnection((slot) => ({
      headers: {
        "content-type": "application/json",
        dpop: signBenchProof(createBenchKey(), "POST", `${ours.url}/api/auth/login`),
      },
      body: JSON.stringify({
        email: oursUsers[slot % oursUsers.length]!.email,
        password: PASSWORD,
      }),
    }));
    // Every target: a baseline and a protected route on the same server, each
    // request carrying the same credentials (the baseline ignores them).
    const targets = [
      { key: "ours", server: ours, credentials: bearer },
      { key: "nocache", server: noCache, credentials: bearerOf(noCacheUsers) },
      { key: "peer", server: peer, credentials: peerCookie },
      // The same as "ours" but METRICS_ENABLED=0: the metrics' cost on the protected route.
      { key: "nometrics", server: noMetrics, credentials: bearerOf(noMetricsUsers) },
    ] as const;
    for (const { key, server, credentials } of targets) {
      const response = await fetch(`${server.url}/api/whoami`, credentials(0));
      if (response.status !== 200)
        throw new Error(
          `${key}: /api/whoami answered ${response.status}: ${await response.text()}`,
        );
    }

    const refreshTargets: RefreshTarget[] = [
      {
        key: "pglite",
        label: "ours (PGlite)",
        server: ours,
        chains: oursUsers.map((u) => u.chain),
      },
      {
        key: "pglite-nobind",
        label: "ours-nobind (PGlite, no proof)",
        server: oursNoBind,
        chains: noBindUsers.map((u) => u.chain),
      },
    ];
    if (oursPg && postgres) {
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      admins.push(admin);
      refreshTargets.push({
        key: "pg",
        label: "ours-pg (PostgreSQL)",
        server: oursPg,
        chains: pgUsers.map((u) => u.chain),
        postgres: { admin, name: postgres.name },
      });
      if (oursPgNoBind) {
        refreshTargets.push({
          key: "pg-nobind",
          label: "ours-pg-nobind (PostgreSQL, no proof)",
          server: oursPgNoBind,
          chains: pgNoBindUsers.map((u) => u.chain),
          postgres: { admin, name: postgres.name },
        });
      }
    }

    // 1. Warm every server on every route it will serve, before any baseline.
    log("warming every server on every route");
    const warmSeconds = { seconds: 2, connections: settings.connections };
    for (const { server, credentials } of targets) {
      for (const route of ["/api/health", "/api/whoami"]) {
        await hammer(server, route, perConnection(credentials), warmSeconds);
      }
    }
    const pilotRate = new Map<AppServer, number>();
    for (const target of refreshTargets) {
      await hammer(target.server, "/api/health", noHeaders, warmSeconds);
      const pilot = await refreshStorm(
        target.server,
        target.chains,
        settings.connections * 10,
        REFRESH_COOKIE,
      );
      pilotRate.set(target.server, pilot.rps);
    }
    await hammer(ours, "/api/auth/login", loginBody, warmSeconds, { method: "POST" });
    await afterLogins();

    // 2. Protected route vs baseline, interleaved rounds.
    const samples: Record<string, Measurement[]> = {};
    for (let round = 0; round < settings.rounds; round++) {
      for (const { key, server, credentials } of roundOrder(targets, round)) {
        for (const route of roundOrder(["health", "whoami"], round)) {
          const m = await hammer(server, `/api/${route}`, perConnection(credentials), short);
          (samples[`${key}.${route}`] ??= []).push(m);
        }
      }
      log(`protected-route round ${round + 1}/${settings.rounds} done`);
    }

    // 3. Refresh rotations vs baseline on the same server, interleaved rounds.
    const refreshRounds = new Map<RefreshTarget, RefreshRound[]>();
    for (let round = 0; round < settings.refreshRounds; round++) {
      for (const target of roundOrder(refreshTargets, round)) {
        const baseline = await hammer(target.server, "/api/health", noHeaders, long);
        const amount = Math.max(
          settings.connections * 20,
          Math.round((pilotRate.get(target.server) ?? 0) * settings.longSeconds),
        );
        const before = target.postgres
          ? await readBackendCpu(target.postgres.admin, target.postgres.name)
          : null;
        const refresh = await refreshStorm(target.server, target.chains, amount, REFRESH_COOKIE);
        const after = target.postgres
          ? await readBackendCpu(target.postgres.admin, target.postgres.name)
          : null;
        const dbCpuSeconds = before && after ? backendCpuDelta(before, after) : null;
        const list = refreshRounds.get(target) ?? [];
        list.push({ baseline, refresh, dbCpuSeconds });
        refreshRounds.set(target, list);
        log(
          `refresh round ${round + 1}/${settings.refreshRounds} on ${target.label}: ${refresh.rps.toFixed(0)} rotations/s, baseline ${baseline.rps.toFixed(0)} req/s`,
        );
      }
    }

    // Logins vs baseline on the PGlite server, interleaved.
    const loginSamples: Measurement[] = [];
    const loginBaselines: Measurement[] = [];
    for (let round = 0; round < 3; round++) {
      for (const which of roundOrder(["baseline", "login"] as const, round)) {
        if (which === "baseline")
          loginBaselines.push(await hammer(ours, "/api/health", noHeaders, long));
        else {
          loginSamples.push(
            await hammer(ours, "/api/auth/login", loginBody, long, { method: "POST" }),
          );
          await afterLogins();
        }
      }
    }
    log(`logins on ours: ${median(loginSamples.map((m) => m.rps)).toFixed(1)}/s`);

    // The cookie curve on the PGlite server (the route reads nothing, so any server would do).
    const cookieLoad = [os.loadavg()[0]!];
    const cookieCurve = await measureCookieCurve(ours, { ...short, passes: 2 });
    cookieLoad.push(os.loadavg()[0]!);
    log(
      `cookie curve: ${cookieCurve.map((p) => `${p.cookies} → ${p.cpuMsPerRequest.toFixed(1)} ms (${p.status})`).join(", ")}`,
    );

    // 4. Statements per rotation, on the logged server only.
    let statements: Statements | null = null;
    const pgLog = findPostgresLog(process.env.BENCH_PG_LOG);
    if (oursPgLogged && postgres && pgLog && loggedUsers[0]) {
      const chain = loggedUsers[0].chain;
      const rotate = async () => {
        const url = `${oursPgLogged.url}/api/auth/refresh`;
        const response = await fetch(url, {
          method: "POST",
          headers: {
            cookie: `${REFRESH_COOKIE}=${chain.token}`,
            dpop: signBenchProof(chain.key!, "POST", url),
          },
        });
        learnBenchNonce(chain.key!, response.headers);
        const token = readSetCookie(
          Object.fromEntries([["set-cookie", response.headers.getSetCookie()]]),
          REFRESH_COOKIE,
        );
        if (response.status !== 200 || !token) throw new Error(`refresh: ${response.status}`);
        chain.token = token;
      };
      for (let i = 0; i < 3; i++) await rotate(); // warm: first requests compile the route
      const from = fileSize(pgLog);
      for (let i = 0; i < STATEMENT_SAMPLE; i++) await rotate();
      const counted = countLoggedStatements(pgLog, from, postgres.name);
      if (counted.total === 0) throw new Error(`no statements of ${postgres.name} in ${pgLog}`);
      // Then logins (a correct password: the throttle's point, the account, the hash, the refund
      // and the new session).
      const login = async () => {
        const url = `${oursPgLogged.url}/api/auth/login`;
        const response = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            dpop: signBenchProof(createBenchKey(), "POST", url),
          },
          body: JSON.stringify({ email: loggedUsers[0]!.email, password: PASSWORD }),
        });
        if (response.status !== 200) throw new Error(`login: ${response.status}`);
      };
      for (let i = 0; i < 3; i++) await login();
      const loginsFrom = fileSize(pgLog);
      for (let i = 0; i < LOGIN_STATEMENT_SAMPLE; i++) await login();
      const logins = countLoggedStatements(pgLog, loginsFrom, postgres.name);
      const per = (byKind: Record<string, number>, n: number) =>
        Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, v / n]));
      statements = {
        load: os.loadavg()[0]!,
        perRotation: counted.total / STATEMENT_SAMPLE,
        byKind: per(counted.byKind, STATEMENT_SAMPLE),
        perLogin: logins.total / LOGIN_STATEMENT_SAMPLE,
        loginByKind: per(logins.byKind, LOGIN_STATEMENT_SAMPLE),
      };
      log(
        `statements per rotation: ${statements.perRotation} (${JSON.stringify(statements.byKind)}); per login: ${statements.perLogin} (${JSON.stringify(statements.loginByKind)})`,
      );
    } else if (postgres) {
      log("no readable PostgreSQL log (set BENCH_PG_LOG): statements per rotation not counted");
    }

    const memoryOf = (server: AppServer | null) => {
      const watch = server ? watches.get(server) : undefined;
      return watch ? watch.peakMiB() : { peak: null, processes: 0 };
    };
    const memory = [
      { server: "ours (PGlite, database in process)", ...memoryOf(ours) },
      { server: "ours-pg (PostgreSQL; its backends not counted)", ...memoryOf(oursPg) },
      { server: "ours-nocache", ...memoryOf(noCache) },
      { server: "peer (Auth.js)", ...memoryOf(peer) },
    ].map((m) => ({ server: m.server, peakMiB: m.peak, processes: m.processes }));
    for (const watch of watches.values()) watch.stop();

    const checks: Record<string, ChainCheck> = {};
    for (const target of refreshTargets) {
      if (!target.postgres) continue;
      const admin = target.postgres.admin;
      checks[target.label] = await checkChains(
        async (sql, params) => (await admin.query(sql, params)).rows,
        target.chains,
      );
    }
    // 5. Servers stop; the in-process timings run alone.
    await fleet.stopAll();
    const pgliteDirs: Array<[RefreshKey, string]> = [
      ["pglite", fleet.oursDataDir],
      ["pglite-nobind", fleet.noBindDataDir],
    ];
    for (const [key, dir] of pgliteDirs) {
      const target = refreshTargets.find((t) => t.key === key)!;
      const pglite = new PGlite(path.join(dir, "pglite"));
      checks[target.label] = await checkChains(
        async (sql, params) => (await pglite.query<Record<string, unknown>>(sql, params)).rows,
        target.chains,
      );
      await pglite.close();
    }

    // 6. The deployment rows (bench/deployment.ts): their own cluster, PgBouncer and servers.
    let deployment: DeployFigures | null = null;
    const hasPgBouncer = spawnSync("pgbouncer", ["--version"]).status === 0;
    if (process.env.BENCH_DEPLOY === "0") log("BENCH_DEPLOY=0: skipping the deployment rows");
    else if (!hasPgBouncer) log("no pgbouncer on PATH: skipping the deployment rows");
    else if (process.getuid?.() !== 0)
      log("not root (a private cluster runs as the postgres user): skipping the deployment rows");
    else {
      log("deployment rows: private cluster, 10 k vs 2 M token rows, PgBouncer, named statements");
      deployment = await measureDeployment(deploySettings(".next-bench"));
    }

    log("timing the auth step, argon2id and the token algorithms in CPU time (servers stopped)");
    const inProcessLoad = [os.loadavg()[0]!];
    const authStep = await timeAuthStep({ appUrl: APP_URL, keys: fleet.keys });
    const verifyUs = await timePasswordVerification(PASSWORD);
    const algorithms = await timeTokenAlgorithms(["ES256", "Ed25519"]);
    log("timing the metrics' own work (timeRoute) and a DPoP proof's verification in CPU time");
    const metricsUs = await timeRouteCostUs(settings.rounds);
    const dpopProof = timeDpopProofInChild();
    inProcessLoad.push(os.loadavg()[0]!);
    clearInterval(loadTimer);

    const report = buildReport({
      samples,
      refreshRounds,
      refreshTargets,
      checks,
      loginSamples,
      loginBaselines,
      statements,
      memory,
      cookieCurve,
      cookieLoad,
      authStep,
      verifyUs,
      algorithms,
      metricsUs,
      dpopProof,
      deployment,
      inProcessLoad,
      loadAtStart,
      loadSamples,
      hadPostgres: Boolean(postgres),
    });
    const summary = renderSummary(report);
    const prettierOptions = {
      ...(await prettier.resolveConfig(RESULTS_PATH)),
      filepath: RESULTS_PATH,
    };
    const full = await prettier.format(renderFull(report), prettierOptions);
    console.log(`\n${summary}\n`);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    fs.writeFileSync(path.join(OUT_DIR, `bench-${stamp}.md`), full);
    fs.writeFileSync(path.join(OUT_DIR, "latest.md"), full);
    fs.writeFileSync(
      path.join(OUT_DIR, `bench-${stamp}.json`),
      JSON.stringify(
        {
          report,
          samples,
          refreshRounds: [...refreshRounds].map(([t, r]) => ({ label: t.label, rounds: r })),
        },
        null,
        2,
      ),
    );
    if (settings.save) fs.writeFileSync(RESULTS_PATH, full);
    log(`written to bench/out/bench-${stamp}.md${settings.save ? " and bench/RESULTS.md" : ""}`);

    const broken = Object.values(checks).some((c) => c.mismatched > 0 || c.revoked > 0);
    const refused = report.rows.some((r) => r.m && (r.m.non2xx > 0 || r.m.errors > 0));
    for (const goal of report.goals) {
      log(
        `goal: ${goal.name}: ${goal.figure === null ? "—" : goal.figure.toFixed(2)} ${goal.unit} (target ${goal.direction === "atLeast" ? "≥" : "≤"} ${goal.target}): ${judge(goal)}`,
      );
    }
    const cookieProblems = cookieCurveProblems(cookieCurve);
    if (broken) console.error("FAILED: the database does not match the acknowledged rotations.");
    if (refused) console.error("FAILED: some measured requests failed (see the errors column).");
    for (const problem of cookieProblems) console.error(`FAILED: cookie curve: ${problem}`);
    process.exitCode = broken || refused || cookieProblems.length > 0 ? 1 : 0;
  } finally {
    clearInterval(loadTimer);
    for (const watch of watches.values()) watch.stop();
    for (const admin of admins) await admin.end().catch(() => {});
    await fleet.cleanUp();
  }
}

function buildReport(input: {
  samples: Record<string, Measurement[]>;
  refreshRounds: Map<RefreshTarget, RefreshRound[]>;
  refreshTargets: RefreshTarget[];
  checks: Record<string, ChainCheck>;
  loginSamples: Measurement[];
  loginBaselines: Measurement[];
  statements: Statements | null;
  memory: Report["memory"];
  cookieCurve: CookieCurvePoint[];
  cookieLoad: number[];
  authStep: { cachedUs: number; uncachedUs: number };
  verifyUs: number;
  algorithms: Array<{ alg: string; signUs: number; verifyUs: number }>;
  metricsUs: { on: number; off: number };
  dpopProof: DpopProofTiming;
  deployment: DeployFigures | null;
  inProcessLoad: number[];
  loadAtStart: number[];
  loadSamples: number[];
  hadPostgres: boolean;
}): Report {
  const s = input.samples;
  const pair = (a: string, b: string) => ({
    ratio: pairedRatios(
      s[a]!.map((m) => m.rps),
      s[b]!.map((m) => m.rps),
    ),
    cpuRatio: pairedRatios(
      s[a]!.map((m) => m.perCpuSecond),
      s[b]!.map((m) => m.perCpuSecond),
    ),
  });
  const cores = os.availableParallelism();
  const baselineUs = 1e6 / medianOf(s["ours.health"]!).perCpuSecond;
  const protectedPair = pair("ours.whoami", "ours.health");
  const rows: Row[] = [
    {
      what: "Baseline: `GET /api/health` (no auth, no database)",
      server: "ours",
      m: medianOf(s["ours.health"]!),
      load: loads(s["ours.health"]!),
      note: `the reference for every ratio of ours: ${baselineUs.toFixed(0)} µs of server CPU per request`,
    },
    {
      what: "Protected: `GET /api/whoami`, valid access token",
      server: "ours",
      m: medianOf(s["ours.whoami"]!),
      ...protectedPair,
      ratioTo: "baseline (target ≥ 0.95)",
      load: loads(s["ours.whoami"]!, s["ours.health"]!),
      note: "verified-token cache on (the default)",
    },
    {
      what: "Protected, signature verified on every request",
      server: "ours-nocache",
      m: medianOf(s["nocache.whoami"]!),
      ...pair("nocache.whoami", "nocache.health"),
      ratioTo: "its own baseline",
      load: loads(s["nocache.whoami"]!, s["nocache.health"]!),
      note: "ACCESS_TOKEN_CACHE_SIZE=0",
    },
    {
      what: "The auth step alone (`authenticateRequest`), cache on / off",
      server: "in-process",
      cpuRatio: spreadOf([baselineUs / (baselineUs + input.authStep.cachedUs)]),
      ratioTo: "baseline, predicted from CPU time (cache on)",
      load: input.inProcessLoad,
      note: `${input.authStep.cachedUs.toFixed(1)} µs of CPU per call cached, ${input.authStep.uncachedUs.toFixed(0)} µs uncached (predicted ratio ${(baselineUs / (baselineUs + input.authStep.uncachedUs)).toFixed(2)})`,
    },
    {
      what: "Peer protected: Auth.js `await auth()` (JWT sessions)",
      server: "peer",
      m: medianOf(s["peer.whoami"]!),
      ...pair("peer.whoami", "peer.health"),
      ratioTo: "its own baseline",
      load: loads(s["peer.whoami"]!, s["peer.health"]!),
      note: `next-auth ${peerVersion()}, same Next.js, same headers`,
    },
    {
      what: "Peer protected vs ours protected",
      server: "peer ÷ ours",
      m: medianOf(s["peer.whoami"]!),
      ...pair("peer.whoami", "ours.whoami"),
      ratioTo: "ours protected",
      load: loads(s["peer.whoami"]!, s["ours.whoami"]!),
    },
  ];

  type RefreshFigures = {
    cpuRatio: Spread;
    appUs: number;
    dbUs: number | null;
    withDbRatio: Spread | null;
    load: number[];
    /** Per round: server CPU µs per rotation (PostgreSQL: app + its backends). */
    wholeUsByRound: number[];
  };
  const refreshFigures = new Map<string, RefreshFigures>();
  for (const target of input.refreshTargets) {
    const rounds = input.refreshRounds.get(target) ?? [];
    const refresh = rounds.map((r) => r.refresh);
    const baseline = rounds.map((r) => r.baseline);
    const check = input.checks[target.label];
    const failures = target.chains.reduce((sum, c) => sum + c.failures, 0);
    const cpuRatio = pairedRatios(
      refresh.map((m) => m.perCpuSecond),
      baseline.map((m) => m.perCpuSecond),
    );
    const dbPer = rounds
      .filter((r) => r.dbCpuSeconds !== null)
      .map((r) => (r.dbCpuSeconds! * 1e6) / r.refresh.requests);
    const withDbRatio = dbPer.length
      ? pairedRatios(
          rounds.map((r) => r.refresh.requests / (r.refresh.cpuSeconds + r.dbCpuSeconds!)),
          baseline.map((m) => m.perCpuSecond),
        )
      : null;
    const appUs = 1e6 / median(refresh.map((m) => m.perCpuSecond));
    const dbUs = dbPer.length ? median(dbPer) : null;
    const load = loads(refresh, baseline);
    const wholeUsByRound = rounds.map(
      (r) => ((r.refresh.cpuSeconds + (r.dbCpuSeconds ?? 0)) / r.refresh.requests) * 1e6,
    );
    refreshFigures.set(target.key, { cpuRatio, appUs, dbUs, withDbRatio, load, wholeUsByRound });
    rows.push({
      what: "Refresh rotations: `POST /api/auth/refresh`",
      server: target.label,
      m: medianOf(refresh),
      ratio: pairedRatios(
        refresh.map((m) => m.rps),
        baseline.map((m) => m.rps),
      ),
      cpuRatio,
      ratioTo: "baseline, same server",
      load,
      note:
        `${appUs.toFixed(0)} µs of app CPU per rotation` +
        (dbUs !== null
          ? `, plus ${dbUs.toFixed(0)} µs in PostgreSQL's backends (app + database: ${withDbRatio ? withDbRatio.median.toFixed(2) : "—"} of the baseline)`
          : " (the database runs inside it)") +
        `; ${check?.acknowledged ?? "?"} rotations acknowledged, ${check?.inDatabase ?? "?"} in the database, ${check?.mismatched ?? "?"} sessions off, ${check?.revoked ?? "?"} revoked, ${failures} refused`,
    });
  }

  const login = medianOf(input.loginSamples);
  const hashBound = hashBoundPerSecond(cores, input.verifyUs);
  const loginThreads = threadSplitUs(input.loginSamples);
  const loginCpuShare = pairedRatios(
    input.loginSamples.map((m) => m.perCpuSecond * (input.verifyUs / 1e6)),
    input.loginSamples.map(() => 1),
  );
  rows.push({
    what: "Logins: `POST /api/auth/login`",
    server: "ours (PGlite)",
    m: login,
    ratio: pairedRatios(
      input.loginSamples.map((m) => m.rps),
      input.loginBaselines.map((m) => m.rps),
    ),
    cpuRatio: pairedRatios(
      input.loginSamples.map((m) => m.perCpuSecond),
      input.loginBaselines.map((m) => m.perCpuSecond),
    ),
    ratioTo: "baseline",
    load: loads(input.loginSamples, input.loginBaselines),
    note: `argon2id verify ${(input.verifyUs / 1000).toFixed(1)} ms of CPU → at most ≈ ${hashBound.toFixed(0)}/s on ${cores} cores (${((login.rps / hashBound) * 100).toFixed(0)}% reached); the hash is ${(loginCpuShare.median * 100).toFixed(0)}% of a login's server CPU; per login ${(loginThreads.mainUs / 1000).toFixed(1)} ms on the main thread (Next, PGlite, signing) and ${(loginThreads.othersUs / 1000).toFixed(1)} ms on the others (the hash on libuv's pool, GC)`,
  });
  rows.push({
    what: "argon2id verify (the app's parameters), CPU time",
    server: "in-process",
    load: input.inProcessLoad,
    note: `${(input.verifyUs / 1000).toFixed(1)} ms of CPU (hashing thread included), timed after the servers stopped`,
  });
  for (const a of input.algorithms) {
    rows.push({
      what: `Access-token algorithm ${a.alg}: sign / verify (jose), CPU time`,
      server: "in-process",
      cpuRatio: spreadOf([baselineUs / (baselineUs + a.verifyUs)]),
      ratioTo: "baseline, predicted, if every request verified",
      load: input.inProcessLoad,
      note: `sign ${a.signUs.toFixed(0)} µs, verify ${a.verifyUs.toFixed(0)} µs of CPU per token`,
    });
  }
  // Issue 21: what the proof adds to a refresh, the bound server minus the bearer one, per round.
  const proofCosts: Array<{ label: string; spread: Spread; load: number[] }> = [];
  for (const [bound, bearer, label] of [
    ["pglite", "pglite-nobind", "PGlite"],
    ["pg", "pg-nobind", "PostgreSQL (app + database)"],
  ] as const) {
    const a = refreshFigures.get(bound);
    const b = refreshFigures.get(bearer);
    if (!a || !b) continue;
    const spread = pairedDifferences(a.wholeUsByRound, b.wholeUsByRound);
    proofCosts.push({ label, spread, load: [...a.load, ...b.load] });
    rows.push({
      what: "DPoP proof's added server CPU per refresh (binding on − DPOP_BINDING=off)",
      server: label,
      load: [...a.load, ...b.load],
      note: `${(spread.median / 1000).toFixed(3)} ms (${(spread.min / 1000).toFixed(3)} to ${(spread.max / 1000).toFixed(3)} over ${spread.n} paired rounds): ${median(a.wholeUsByRound).toFixed(0)} µs per rotation with a proof, ${median(b.wholeUsByRound).toFixed(0)} µs without; the proof's verify, its nonce check, and its jti row in the rotation's statement`,
    });
  }
  if (input.dpopProof) {
    rows.push({
      what: "DPoP proof verification alone (`verifyDpopProof`), CPU time",
      server: "in-process",
      load: [input.dpopProof.load],
      note: `${input.dpopProof.ms.toFixed(3)} ms of CPU per proof (npm run bench:dpop, 4000 proofs); a bare ES256 check ${input.dpopProof.floorMs.toFixed(3)} ms in the same run (${(input.dpopProof.ms / input.dpopProof.floorMs).toFixed(1)}×)`,
    });
  }

  // Issue 22: the metrics' cost on the protected route, the same route with METRICS_ENABLED=0.
  const metricsPair = pair("ours.whoami", "nometrics.whoami");
  const metricsCostUs = input.metricsUs.on - input.metricsUs.off;
  const noMetricsRequestUs = 1e6 / medianOf(s["nometrics.whoami"]!).perCpuSecond;
  const metricsImplied = noMetricsRequestUs / (noMetricsRequestUs + metricsCostUs);
  rows.push(
    {
      what: "Protected with metrics (the default) vs METRICS_ENABLED=0",
      server: "ours ÷ ours-nometrics",
      m: medianOf(s["ours.whoami"]!),
      ...metricsPair,
      ratioTo: "ours-nometrics protected (target ≥ 0.98)",
      load: loads(s["ours.whoami"]!, s["nometrics.whoami"]!),
      note: `two servers of one build, each on its own PGlite; ours-nometrics ${noMetricsRequestUs.toFixed(0)} µs of CPU per protected request`,
    },
    {
      what: "The metrics' own work per API answer (`timeRoute`), on / off, CPU time",
      server: "in-process",
      cpuRatio: spreadOf([metricsImplied]),
      ratioTo: "ours-nometrics protected, predicted from CPU time",
      load: input.inProcessLoad,
      note: `${input.metricsUs.on.toFixed(2)} / ${input.metricsUs.off.toFixed(2)} µs per call (cost ${metricsCostUs.toFixed(2)} µs)`,
    },
  );

  const pgliteFig = refreshFigures.get("pglite")!;
  // Issue 22's login row: a login's whole CPU ≤ its other threads (the hash) + 1.25 × a rotation.
  const loginWholeUs = median(input.loginSamples.map((m) => (m.cpuSeconds / m.requests) * 1e6));
  const loginBoundUs = loginThreads.othersUs + 1.25 * pgliteFig.appUs;
  rows.push({
    what: "Login's whole server CPU vs its other threads + 1.25 × a rotation",
    server: "ours (PGlite)",
    load: [...loads(input.loginSamples), ...pgliteFig.load],
    note: `${(loginWholeUs / 1000).toFixed(1)} ms per login against ${(loginThreads.othersUs / 1000).toFixed(1)} + 1.25 × ${(pgliteFig.appUs / 1000).toFixed(1)} = ${(loginBoundUs / 1000).toFixed(1)} ms: ${loginWholeUs <= loginBoundUs ? "**pass**" : "**fail**"} (main thread ${(loginThreads.mainUs / 1000).toFixed(1)} ms, which must stay ≤ 1.25 × the rotation, ${((1.25 * pgliteFig.appUs) / 1000).toFixed(1)} ms)`,
  });

  if (input.statements) {
    const { load } = input.statements;
    const statementRow = (
      what: string,
      per: number,
      byKind: Record<string, number>,
      sample: number,
    ) => ({
      what: `SQL statements per ${what} (PostgreSQL, \`log_statement = all\`)`,
      server: "ours-pg-logged",
      load: [load],
      note: `${per} per ${what} over ${sample} ${what}s: ${Object.entries(byKind)
        .map(([k, v]) => `${v} ${k}`)
        .join(", ")}`,
    });
    rows.push(
      statementRow(
        "rotation",
        input.statements.perRotation,
        input.statements.byKind,
        STATEMENT_SAMPLE,
      ),
      statementRow(
        "login",
        input.statements.perLogin,
        input.statements.loginByKind,
        LOGIN_STATEMENT_SAMPLE,
      ),
    );
  }

  const pgFig = refreshFigures.get("pg");
  const pgliteMemory = input.memory[0]!;
  const goals: GoalRow[] = [
    {
      name: "Rotation on PostgreSQL per server CPU-second vs baseline",
      figure: pgFig ? pgFig.cpuRatio.median : null,
      target: 0.5,
      direction: "atLeast",
      unit: "×",
      load: pgFig?.load ?? [],
      how: `median of ${settings.refreshRounds} paired rounds${pgFig ? ` (${pgFig.cpuRatio.min.toFixed(2)}–${pgFig.cpuRatio.max.toFixed(2)})` : ""}; app process only`,
    },
    {
      name: "SQL statements per rotation on PostgreSQL",
      figure: input.statements?.perRotation ?? null,
      target: 2,
      direction: "atMost",
      unit: "statements",
      load: input.statements ? [input.statements.load] : [],
      how: `log_statement on the bench's own scratch database, ${STATEMENT_SAMPLE} rotations`,
    },
    {
      name: "Rotation on PGlite per server CPU-second vs baseline",
      figure: pgliteFig.cpuRatio.median,
      target: 0.3,
      direction: "atLeast",
      unit: "×",
      load: pgliteFig.load,
      how: `median of ${settings.refreshRounds} paired rounds (${pgliteFig.cpuRatio.min.toFixed(2)}–${pgliteFig.cpuRatio.max.toFixed(2)})`,
    },
    {
      name: "PGlite server peak resident memory",
      figure: pgliteMemory.peakMiB,
      target: 300,
      direction: "atMost",
      unit: "MiB",
      load: input.loadSamples,
      how: `process tree from /proc (sampled VmRSS sum and VmHWM), whole run; ${Object.entries(
        PGLITE_SETTINGS,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")}`,
    },
    {
      name: "Logins per second vs 0.8 × cores ÷ verify CPU",
      figure: login.rps,
      target: Number((0.8 * hashBound).toFixed(1)),
      direction: "atLeast",
      unit: "/s",
      load: loads(input.loginSamples),
      how: `wall clock: ${cores} cores ÷ ${(input.verifyUs / 1000).toFixed(1)} ms = ${hashBound.toFixed(0)}/s; on a busy machine other work holds the cores`,
    },
    {
      name: "Logins per server CPU-second vs 0.8 × 1 ÷ verify CPU",
      figure: login.perCpuSecond,
      target: Number((0.8 * (1e6 / input.verifyUs)).toFixed(1)),
      direction: "atLeast",
      unit: "/CPU-s",
      load: loads(input.loginSamples),
      how: "the same bound in CPU time, which other work on the machine does not move",
    },
    {
      name: "Protected route per server CPU-second vs baseline",
      figure: protectedPair.cpuRatio.median,
      target: 0.95,
      direction: "atLeast",
      unit: "×",
      load: loads(s["ours.whoami"]!, s["ours.health"]!),
      how: `median of ${settings.rounds} paired rounds (${protectedPair.cpuRatio.min.toFixed(2)}–${protectedPair.cpuRatio.max.toFixed(2)}); by throughput ${protectedPair.ratio.median.toFixed(2)}`,
    },
    cookieFloodGoal(input.cookieCurve, input.cookieLoad),
    ...proofCosts.map((p): GoalRow => ({
      name: `DPoP proof's added server CPU per refresh, ${p.label}`,
      figure: p.spread.median / 1000,
      target: 0.25,
      direction: "atMost",
      unit: "ms",
      load: p.load,
      how: `rotation with proof minus DPOP_BINDING=off, CPU per rotation, median of ${p.spread.n} paired rounds (${(p.spread.min / 1000).toFixed(2)} to ${(p.spread.max / 1000).toFixed(2)})`,
    })),
    {
      name: "Protected route with metrics vs without, per server CPU-second",
      figure: metricsPair.cpuRatio.median,
      target: 0.98,
      direction: "atLeast",
      unit: "×",
      load: loads(s["ours.whoami"]!, s["nometrics.whoami"]!),
      how: `median of ${settings.rounds} paired rounds (${metricsPair.cpuRatio.min.toFixed(2)}–${metricsPair.cpuRatio.max.toFixed(2)}); from the in-process timing ${metricsImplied.toFixed(4)}`,
    },
    {
      name: "Login's whole server CPU ≤ its other threads + 1.25 × a rotation (PGlite)",
      figure: loginWholeUs / 1000,
      target: Number((loginBoundUs / 1000).toFixed(1)),
      direction: "atMost",
      unit: "ms",
      load: [...loads(input.loginSamples), ...pgliteFig.load],
      how: `${(loginThreads.othersUs / 1000).toFixed(1)} ms other threads (the hash) + 1.25 × ${(pgliteFig.appUs / 1000).toFixed(1)} ms rotation, same server, same run; main thread ${(loginThreads.mainUs / 1000).toFixed(1)} ms per login`,
    },
    ...deploymentGoals(input.deployment),
  ];

  const rotationBreakdown = [
    `- Baseline request: ${baselineUs.toFixed(0)} µs of server CPU.`,
    pgFig
      ? `- Rotation on PostgreSQL: ${pgFig.appUs.toFixed(0)} µs of app CPU` +
        (pgFig.dbUs !== null
          ? ` + ${pgFig.dbUs.toFixed(0)} µs of database CPU (PostgreSQL backends, read from /proc)`
          : "") +
        (input.statements
          ? `, ${input.statements.perRotation} SQL statements (${Object.entries(
              input.statements.byKind,
            )
              .map(([k, v]) => `${v} ${k}`)
              .join(", ")}).`
          : ".")
      : "- Rotation on PostgreSQL: not measured (no PostgreSQL).",
    `- Rotation on PGlite: ${pgliteFig.appUs.toFixed(0)} µs of server CPU, database included (it runs in the server's process, one query at a time).`,
  ];

  const findings = [
    `- **Auth.js** (\`await auth()\`, JWT sessions) derives the key, decrypts the session JWE, runs the callbacks and re-encodes a rolled session on every call; the peer rows show what that costs against its own baseline and against ours.`,
    `- **Signature algorithm.** ${input.algorithms.map((a) => `${a.alg}: sign ${a.signUs.toFixed(0)} µs, verify ${a.verifyUs.toFixed(0)} µs`).join("; ")} of CPU. With the verified-token cache a protected request verifies a token once per token, not per request, so the choice matters mostly at sign-in and refresh.`,
    `- **Every rotation the load generator was told about is in the database exactly once** (the refresh rows' notes); a mismatch fails the run.`,
    input.hadPostgres ? "" : "- No PostgreSQL answered: the PostgreSQL rows are missing.",
  ].filter(Boolean);

  return {
    deployment: input.deployment
      ? renderDeployment(input.deployment)
      : [
          "Not measured in this run (BENCH_DEPLOY=0, no pgbouncer, or not root): `npm run bench:deploy`.",
        ],
    machine: machine(),
    settings,
    loadAtStart: input.loadAtStart,
    loadAtEnd: os.loadavg(),
    loadSamples: input.loadSamples,
    rows,
    goals,
    memory: input.memory,
    findings,
    rotationBreakdown,
    cookieCurve: renderCookieCurve(input.cookieCurve),
  };
}

/** The deployment goals (issue 22): 2 M vs 10 k token rows; PgBouncer and named, reported. */
function deploymentGoals(figures: DeployFigures | null): GoalRow[] {
  if (!figures) {
    return [
      {
        name: "Rotation at 2 M vs 10 k token rows, per CPU-second of app + PostgreSQL",
        figure: null,
        target: 0.9,
        direction: "atLeast",
        unit: "×",
        load: [],
        how: "not measured in this run",
      },
    ];
  }
  const loadOf = (...keys: Array<keyof DeployFigures["samples"]>) =>
    keys.flatMap((k) => figures.samples[k].map((x) => x.load1));
  const big = figures.settings.largeTokens.toLocaleString("en");
  const large = deployRatio(figures, "large", "small", perAll);
  const largeApp = deployRatio(figures, "large", "small", perApp);
  const pooled = deployRatio(figures, "pooled", "small", perAll);
  const pooledApp = deployRatio(figures, "pooled", "small", perApp);
  const named = deployRatio(figures, "small", "unnamed", perAll);
  const namedApp = deployRatio(figures, "small", "unnamed", perApp);
  const rounds = figures.settings.rounds;
  return [
    {
      name: `Rotation at ${big} vs ${SMALL_TOKENS.toLocaleString("en")} token rows, per CPU-second of app + PostgreSQL`,
      figure: large.median,
      target: 0.9,
      direction: "atLeast",
      unit: "×",
      load: loadOf("large", "small"),
      how: `private cluster, PostgreSQL only; median of ${rounds} paired rounds (${large.min.toFixed(2)}–${large.max.toFixed(2)}); per app CPU-second ${largeApp.median.toFixed(2)}`,
    },
    {
      name: "Rotation through PgBouncer 1.18 (transaction mode) vs direct, per CPU-second of app + PostgreSQL + PgBouncer",
      figure: pooled.median,
      target: 0.9,
      direction: "atLeast",
      unit: "×",
      load: loadOf("pooled", "small"),
      how: `reported (the issue sets no line; 0.9 shown as a guide); ${rounds} paired rounds (${pooled.min.toFixed(2)}–${pooled.max.toFixed(2)}); per app CPU-second ${pooledApp.median.toFixed(2)}; PgBouncer ${deployUs(figures.samples.pooled, (x) => x.poolerCpu).toFixed(0)} µs per rotation`,
    },
    {
      name: "Rotation with named statements (the app's on a direct connection) vs unnamed, per CPU-second of app + PostgreSQL",
      figure: named.median,
      target: 0.9,
      direction: "atLeast",
      unit: "×",
      load: loadOf("unnamed", "small"),
      how: `"keep its one-statement cost on a direct connection": named (DB_POOL_MODE=direct) ÷ unnamed (transaction mode's) ${named.median.toFixed(2)} (${named.min.toFixed(2)}–${named.max.toFixed(2)}); per app CPU-second ${namedApp.median.toFixed(2)}`,
    },
  ];
}

await main();
