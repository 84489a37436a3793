/**
 * `npm test`: everything CI checks, in the order that fails fastest.
 *
 *   1. format, lint, typecheck
 *   2. unit + HTTP integration tests on embedded PGlite
 *   3. the HTTP integration and attack tests again on PostgreSQL, when DATABASE_URL names one
 *      (a fresh database is created on that server for the run and dropped after),
 *      then the multi-instance test: a build in .next-multi served by two
 *      `next start` processes sharing another fresh database
 *   4. the fault suite (test/faults): a build in .next-faults under load while instances are
 *      killed or stopped and a private PostgreSQL cluster (its own initdb, removed after) is
 *      restarted, killed and locked; on PGlite and PostgreSQL, whether or not DATABASE_URL is set
 *   5. the transaction-pooler test (test/deploy/pooler.test.ts): the hot path's statements
 *      through PgBouncer 1.18 in transaction mode, from deploy/pgbouncer.ini, in front of a
 *      private PostgreSQL cluster; needs the `pgbouncer` binary (Debian package; .ci/run installs
 *      it): skipped with a message where it is missing, a failure where CI is set; then the
 *      whole deployment rig (test/deploy/rig.test.ts: nginx, 4 × `next start`, PgBouncer, 200
 *      users through rolling restarts and a pooler restart), serving step 4's `.next-faults`
 *      build (the same checkout: no third build); needs `nginx` too
 *   6. the Playwright kit (packages/playwright-token-kit): its contract and its README's example
 *      against examples/pocket-notes (node:http, starts in well under a second), with that app's
 *      planted double-refresh bug proving the assertions fail; then the README followed in a
 *      clean temporary folder (npm install of the kit by path, the first test green)
 *   7. Playwright end-to-end tests in Chromium against `next build` + `next start`,
 *      in parallel workers (E2E_WORKERS), each test E2E_REPEAT times (the kit's contract and the
 *      examples of e2e/README.md run here against this app)
 *
 * Set SKIP_E2E=1 to stop after step 5.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const totals = { passed: 0, failed: 0, skipped: 0 };
const results = [];

function run(label, command, args, env = {}) {
  console.log(`\n=== ${label} ===`);
  const started = Date.now();
  const result = spawnSync(command, args, {
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env },
  });
  const ok = result.status === 0;
  results.push(
    `${ok ? "ok  " : "FAIL"} ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return ok;
}

function countVitest(file) {
  if (!fs.existsSync(file)) {
    // The runner died before reporting (a failed global setup): count it as a failure.
    totals.failed += 1;
    return;
  }
  const report = JSON.parse(fs.readFileSync(file, "utf8"));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + report.numTodoTests;
}

function countPlaywright(file) {
  const { stats } = JSON.parse(fs.readFileSync(file, "utf8"));
  totals.passed += stats.expected;
  totals.failed += stats.unexpected + stats.flaky;
  totals.skipped += stats.skipped;
}

function finish() {
  console.log("\n=== summary ===");
  for (const line of results) console.log(line);
  const failedSteps = results.filter((l) => l.startsWith("FAIL")).length;
  console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(failedSteps > 0 || totals.failed > 0 ? 1 : 0);
}

fs.mkdirSync("test-results", { recursive: true });
const postgresUrl = process.env.DATABASE_URL;

const staticOk =
  run("format", "npx", ["prettier", "--check", "."]) &&
  run("lint", "npx", ["eslint", ".", "--max-warnings=0"]) &&
  run("typecheck", "npx", ["tsc", "--noEmit", "-p", "."]);
if (!staticOk) finish();

const vitestArgs = (out) => [
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${out}`,
];
run("unit + integration (PGlite)", "npx", vitestArgs("test-results/vitest-pglite.json"), {
  DATABASE_URL: "",
});
countVitest("test-results/vitest-pglite.json");

if (postgresUrl) {
  run(
    "integration (PostgreSQL)",
    "npx",
    [...vitestArgs("test-results/vitest-postgres.json"), "test/api", "test/attacks"],
    {
      DATABASE_URL: postgresUrl,
    },
  );
  countVitest("test-results/vitest-postgres.json");

  fs.rmSync("test-results/vitest-multi.json", { force: true });
  run(
    "multi-instance (PostgreSQL, 2 × next start)",
    "npx",
    [...vitestArgs("test-results/vitest-multi.json"), "-c", "vitest.multi.config.mts"],
    { DATABASE_URL: postgresUrl },
  );
  countVitest("test-results/vitest-multi.json");
} else {
  console.log(
    "\n(DATABASE_URL is not set: skipping the PostgreSQL run of the integration tests and the multi-instance test.)",
  );
}

fs.rmSync("test-results/vitest-faults.json", { force: true });
run(
  "faults (PGlite and a private PostgreSQL, next start under load)",
  "npx",
  [...vitestArgs("test-results/vitest-faults.json"), "-c", "vitest.faults.config.mts"],
  { DATABASE_URL: "" },
);
countVitest("test-results/vitest-faults.json");

const hasBinary = (name) => spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
if (hasBinary("pgbouncer")) {
  fs.rmSync("test-results/vitest-deploy.json", { force: true });
  run(
    "transaction pooler (PgBouncer 1.18, private PostgreSQL)",
    "npx",
    [
      ...vitestArgs("test-results/vitest-deploy.json"),
      "-c",
      "vitest.deploy.config.mts",
      "test/deploy/pooler.test.ts",
    ],
    // The pooler test starts no app: no build (the rig's global setup would make one).
    { DATABASE_URL: "", DEPLOY_PREBUILT: "1" },
  );
  countVitest("test-results/vitest-deploy.json");

  if (hasBinary("nginx")) {
    fs.rmSync("test-results/vitest-rig.json", { force: true });
    // The fault suite's build of this checkout, when it made one; otherwise the rig builds.
    const reuse = fs.existsSync(".next-faults/BUILD_ID")
      ? { DEPLOY_PREBUILT: "1", DEPLOY_DIST_DIR: ".next-faults" }
      : {};
    run(
      "deployment rig (nginx, 4 × next start, PgBouncer 1.18, 200 users, rolling restarts)",
      "npx",
      [
        ...vitestArgs("test-results/vitest-rig.json"),
        "-c",
        "vitest.deploy.config.mts",
        "test/deploy/rig.test.ts",
      ],
      { DATABASE_URL: "", ...reuse },
    );
    countVitest("test-results/vitest-rig.json");
  } else if (process.env.CI) {
    results.push("FAIL deployment rig: nginx is not installed (.ci/run installs it)");
  } else {
    console.log(
      "\n(nginx is not installed: skipping the deployment rig; `apt-get install nginx`.)",
    );
  }
} else if (process.env.CI) {
  results.push("FAIL transaction pooler: pgbouncer is not installed (.ci/run installs it)");
} else {
  console.log(
    "\n(pgbouncer is not installed: skipping the transaction-pooler test; `apt-get install pgbouncer`.)",
  );
}

if (!process.env.SKIP_E2E) {
  fs.rmSync("test-results/kit.json", { force: true });
  run(
    "Playwright kit against examples/pocket-notes",
    "npx",
    ["playwright", "test", "-c", "packages/playwright-token-kit/test/playwright.config.ts"],
    { CI: process.env.CI ?? "1" },
  );
  if (fs.existsSync("test-results/kit.json")) countPlaywright("test-results/kit.json");
  else totals.failed += 1;
  run("the kit README, followed in a clean folder", "node", ["scripts/check-kit-readme.mjs"]);

  fs.rmSync("test-results/e2e.json", { force: true });
  // E2E_REPEAT > 1 runs every test that many times, interleaved across the workers: a test that
  // leans on another's account, session or data fails here (CI uses 2).
  const repeat = Number(process.env.E2E_REPEAT ?? 1);
  const repeatArgs = repeat > 1 ? ["--repeat-each", String(repeat)] : [];
  const label = `end-to-end (Chromium${repeat > 1 ? `, each test ×${repeat}` : ""})`;
  run(label, "npx", ["playwright", "test", ...repeatArgs], { CI: process.env.CI ?? "1" });
  if (fs.existsSync("test-results/e2e.json")) countPlaywright("test-results/e2e.json");
  else totals.failed += 1;
}

finish();
