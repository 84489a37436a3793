/**
 * What `next start` says at start about its origin (issue 27, item 5), on the fault suite's
 * build: the real server, started as `npm start` starts it, with PORT set.
 *
 * - The refusal of NODE_ENV=production without APP_URL suggested APP_URL=http://localhost:3000
 *   whatever PORT was; following it literally started a server whose tokens named another origin.
 * - APP_URL on loopback with a port other than PORT and no proxy declared is started, with a
 *   warning that names both ports.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { PROJECT_ROOT, findFreePort, startApp } from "@/scripts/app-server";

const { distDir, signingKeys } = inject("faults");
const LOG_DIR = path.join(PROJECT_ROOT, "test-results/faults");

async function withDataDir<T>(run: (dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "start-up-"));
  try {
    return await run(dataDir);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

describe("start-up advice about APP_URL and PORT", () => {
  it("the refusal without APP_URL suggests this PORT's URL", async () => {
    const port = await findFreePort();
    expect(port).not.toBe(3000);
    const failure = await withDataDir((dataDir) =>
      startApp({
        distDir,
        port,
        env: { DATA_DIR: dataDir },
        logFile: path.join(LOG_DIR, "start-up-no-app-url.log"),
        prestart: false,
      }).then(
        async (server) => {
          await server.stop();
          return "it started";
        },
        (error: Error) => error.message,
      ),
    );
    expect(failure).toMatch(/next start exited early/);
    expect(failure).toContain(`for a local run: APP_URL=http://localhost:${port}`);
    expect(failure).not.toContain("localhost:3000");
    expect(failure).toMatch(/The server did not start/);
  });

  it("APP_URL on loopback with another port and no proxy: it starts and warns, naming both", async () => {
    const port = await findFreePort();
    const appPort = port === 3000 ? 3001 : 3000;
    const logFile = path.join(LOG_DIR, "start-up-port-mismatch.log");
    await withDataDir(async (dataDir) => {
      const server = await startApp({
        distDir,
        port,
        env: {
          APP_URL: `http://localhost:${appPort}`,
          AUTH_SIGNING_KEYS: signingKeys,
          DATA_DIR: dataDir,
        },
        logFile,
      });
      await server.stop();
    });
    const log = fs.readFileSync(logFile, "utf8");
    expect(log).toContain(
      `[config] Warning: APP_URL is http://localhost:${appPort} (port ${appPort}), ` +
        `but this server listens on PORT ${port}`,
    );
    expect(log).toContain(`Set APP_URL=http://localhost:${port}`);
  });

  it("the same behind a declared proxy (TRUST_PROXY=1): no warning", async () => {
    const port = await findFreePort();
    const logFile = path.join(LOG_DIR, "start-up-behind-proxy.log");
    await withDataDir(async (dataDir) => {
      const server = await startApp({
        distDir,
        port,
        env: {
          APP_URL: "http://localhost:8080",
          TRUST_PROXY: "1",
          AUTH_SIGNING_KEYS: signingKeys,
          DATA_DIR: dataDir,
        },
        logFile,
      });
      await server.stop();
    });
    const log = fs.readFileSync(logFile, "utf8");
    expect(log).toMatch(/Ready/);
    expect(log).not.toContain("[config] Warning");
  });
});
