/**
 * End-to-end tests in real Chromium against the production build (`next start`),
 * with lifetimes shortened by environment so token expiry happens in seconds.
 *
 * Browser: E2E_CHROMIUM_PATH if set; else Debian's /usr/bin/chromium when it
 * exists (CI and air-gapped machines, where `npx playwright install` cannot
 * download); else Playwright's own Chromium (`npx playwright install chromium`).
 */
import fs from "node:fs";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 3210);
const BASE_URL = `http://localhost:${PORT}`;
const SYSTEM_CHROMIUM = "/usr/bin/chromium";
const executablePath =
  process.env.E2E_CHROMIUM_PATH || (fs.existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined);

/** The e2e server's policy; specs import these numbers instead of repeating them. */
export const E2E_ACCESS_TOKEN_TTL_SECONDS = 3;
export const E2E_REFRESH_GRACE_SECONDS = 5;

const dataDir = path.join(".data", `e2e-${process.env.E2E_RUN_ID ?? Date.now()}`);

export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["json", { outputFile: "test-results/e2e.json" }]],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: BASE_URL,
    trace: "retain-on-failure",
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
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
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
      // The inspector's server-assisted scenarios (e2e/inspector.spec.ts); never on a public deployment.
      AUTH_DEV_SCENARIOS: "1",
    },
  },
});
