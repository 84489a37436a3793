/**
 * The kit's own suite against examples/pocket-notes (`npm test` runs it before the app's e2e
 * suite; `npx playwright test -c packages/playwright-token-kit/test/playwright.config.ts`):
 *
 *   pocket-notes   the contract, on the app as written (port KIT_EXAMPLE_PORT, default 3240)
 *   planted-bug    the same app with PLANTED_BUG=double-refresh (the next port): the kit's
 *                  assertions must fail there, and the test checks how
 *   readme         every example in the kit's README.md, extracted as written (readme-examples.ts)
 *
 * Each server starts in well under a second (node:http, in memory), with 5-second access tokens.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "@playwright/test";
import type { KitFixtures, KitWorkerFixtures } from "playwright-token-kit";
import { writeReadmeExamples } from "./readme-examples";

const PORT = Number(process.env.KIT_EXAMPLE_PORT ?? 3240);
const BUGGY_PORT = PORT + 1;
const SYSTEM_CHROMIUM = "/usr/bin/chromium";
const executablePath =
  process.env.E2E_CHROMIUM_PATH || (fs.existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, "../../..");
const example = path.join(ROOT, "examples/pocket-notes");
process.env.KIT_RUN_ID ??= String(Date.now());
const sessions = path.join(ROOT, ".data", `kit-${process.env.KIT_RUN_ID}`);

writeReadmeExamples(path.join(HERE, "../README.md"), path.join(HERE, "readme"));

const server = (port: number, env: Record<string, string>) => ({
  command: `node ${path.join(example, "server.mjs")}`,
  url: `http://127.0.0.1:${port}/health`,
  reuseExistingServer: false,
  timeout: 10_000,
  // Short enough that waiting for the server to refuse a token is cheap, long enough that a page
  // load on a loaded 2-core machine does not outlive its own token.
  env: { PORT: String(port), ACCESS_TOKEN_TTL_SECONDS: "5", TEST_HOOKS: "1", ...env },
});

export default defineConfig<KitFixtures, KitWorkerFixtures>({
  testDir: HERE,
  fullyParallel: true,
  workers: Number(process.env.E2E_WORKERS ?? 2),
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["json", { outputFile: path.join(ROOT, "test-results/kit.json") }]],
  outputDir: path.join(ROOT, "test-results/kit"),
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
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
  projects: [
    {
      name: "pocket-notes",
      testMatch: /pocket-notes\.spec\.ts$/,
      use: { baseURL: `http://127.0.0.1:${PORT}`, workerSessionDir: path.join(sessions, "ok") },
    },
    {
      name: "planted-bug",
      testMatch: /planted-bug\.spec\.ts$/,
      use: {
        baseURL: `http://127.0.0.1:${BUGGY_PORT}`,
        workerSessionDir: path.join(sessions, "bug"),
      },
    },
    {
      name: "readme",
      testDir: path.join(HERE, "readme"),
      use: { baseURL: `http://127.0.0.1:${PORT}`, workerSessionDir: path.join(sessions, "readme") },
    },
  ],
  webServer: [server(PORT, {}), server(BUGGY_PORT, { PLANTED_BUG: "double-refresh" })],
});
