/**
 * End-to-end tests in real Chromium against the production build (`next start`), with the
 * app's real token lifetimes: specs move time instead of waiting for it (the `time` fixture of
 * playwright-token-kit), so the server runs with AUTH_TEST_CLOCK=1.
 *
 * Projects: "setup" (e2e/auth.setup.ts) signs in one account per worker through the login page
 * and saves its session; "chromium" runs every spec, in parallel (E2E_WORKERS, default 2).
 * See e2e/README.md.
 *
 * Browser: E2E_CHROMIUM_PATH if set; else Debian's /usr/bin/chromium when it
 * exists (CI and air-gapped machines, where `npx playwright install` cannot
 * download); else Playwright's own Chromium (`npx playwright install chromium`).
 */
import fs from "node:fs";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";
import type { KitFixtures, KitWorkerFixtures } from "playwright-token-kit";
import { writeReadmeExamples } from "./packages/playwright-token-kit/test/readme-examples";

const PORT = Number(process.env.E2E_PORT ?? 3210);
const BASE_URL = `http://localhost:${PORT}`;
const SYSTEM_CHROMIUM = "/usr/bin/chromium";
const executablePath =
  process.env.E2E_CHROMIUM_PATH || (fs.existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined);

/**
 * The e2e server's policy. Access tokens live the app's default 5 minutes: specs move time past
 * them (`time.advance("6m")`) instead of waiting. The grace bound is the app's default too: no
 * spec waits for it, since the parent's grace ends the moment its successor is presented (the
 * inspector's replay scenario refreshes twice, then replays), and a lost answer's retry must
 * work as in production.
 */
const E2E_ACCESS_TOKEN_TTL_SECONDS = 300;
const E2E_REFRESH_GRACE_SECONDS = 300;

// Playwright evaluates this file again in every worker process. Workers inherit the runner's
// environment, so fixing the run id here gives them all the same data directory.
process.env.E2E_RUN_ID ??= String(Date.now());
const dataDir = path.join(".data", `e2e-${process.env.E2E_RUN_ID}`);

// Every example in e2e/README.md runs as written (issue 27): written out as e2e/*.readme.spec.ts
// (gitignored) before the specs are collected.
writeReadmeExamples(path.join("e2e", "README.md"), "e2e", ".readme.spec.ts");

export default defineConfig<KitFixtures, KitWorkerFixtures>({
  testDir: "e2e",
  fullyParallel: true,
  workers: Number(process.env.E2E_WORKERS ?? 2),
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["json", { outputFile: "test-results/e2e.json" }]],
  // Budgets for the slowest machine the suite must pass on: 2 cores, two workers, and another
  // `next build` running beside it (issue 13). There a page load with its silent restore took
  // up to 10 s and two-tab or two-browser tests 30–45 s (traces of the failing runs), so a 30 s
  // budget failed sound tests. A race still fails as a wrong value, not as a slow one.
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL: BASE_URL,
    // A failed test keeps its trace (actions, DOM snapshots, network). No screencast: its frames
    // cost the 2-core machine a third of the suite's time (27 tests at 2 workers: 2.8 min with
    // them, 1.7 min without), and the DOM snapshots show each step anyway.
    trace: { mode: "retain-on-failure", screenshots: false },
    // Per-worker sessions belong to this run's database, so they live beside it.
    workerSessionDir: path.join(dataDir, "worker-sessions"),
    launchOptions: {
      executablePath,
      args: [
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts$/, use: { ...devices["Desktop Chrome"] } },
    { name: "chromium", dependencies: ["setup"], use: { ...devices["Desktop Chrome"] } },
  ],
  webServer: {
    command: process.env.E2E_PREBUILT ? "npm start" : "npm run build && npm start",
    url: `${BASE_URL}/api/health`,
    reuseExistingServer: false,
    timeout: 240_000,
    stdout: "pipe",
    env: {
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(PORT),
      APP_URL: BASE_URL,
      // The e2e server always runs on a fresh embedded database.
      DATABASE_URL: "",
      DATA_DIR: dataDir,
      ACCESS_TOKEN_TTL_SECONDS: String(E2E_ACCESS_TOKEN_TTL_SECONDS),
      REFRESH_GRACE_SECONDS: String(E2E_REFRESH_GRACE_SECONDS),
      // Both are refused at start unless the server is local (lib/env.ts `isLocal`): APP_URL above
      // is a loopback origin.
      // The `time` fixture moves the server's clock per request (X-Test-Clock-Offset).
      AUTH_TEST_CLOCK: "1",
      // The inspector's server-assisted scenarios (e2e/inspector.spec.ts).
      AUTH_DEV_SCENARIOS: "1",
      // The server's stdout is shown with the test output: keep the per-event JSON lines out of
      // it (LOG_LEVEL=info to read them; docs/deployment.md, "Events and metrics").
      LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
    },
  },
});
