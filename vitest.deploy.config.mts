/**
 * The deployment rig (test/deploy): nginx in front of 4 `next start` instances of one build,
 * PgBouncer (transaction mode) in front of a private PostgreSQL cluster, all started from the
 * files in deploy/ and all on loopback. Builds the app once into `.next-deploy`
 * (DEPLOY_PREBUILT=1 reuses it). `npm run test:deploy` runs it; `npm test` runs only
 * test/deploy/pooler.test.ts (docs/testing.md).
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
    include: ["test/deploy/**/*.test.ts"],
    environment: "node",
    // Generous for a busy shared machine; on a quiet one the whole rig takes about 3 minutes.
    testTimeout: 420_000,
    hookTimeout: 600_000,
    globalSetup: ["test/deploy/global-setup.ts"],
    fileParallelism: false,
    maxWorkers: 1,
  },
});
