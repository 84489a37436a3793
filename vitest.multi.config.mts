/**
 * The multi-instance test (test/multi-instance): two `next start` processes on
 * one PostgreSQL. Separate from the default run because it builds the app and
 * needs DATABASE_URL; `npm test` runs it when DATABASE_URL is set, and
 * `npm run test:multi` runs it alone.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": fileURLToPath(new URL("./", import.meta.url)),
    },
  },
  test: {
    include: ["test/multi-instance/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    // Building the app (once) and starting two servers happen in global setup.
    hookTimeout: 300_000,
    globalSetup: ["test/multi-instance/global-setup.ts"],
    fileParallelism: false,
    maxWorkers: 1,
  },
});
