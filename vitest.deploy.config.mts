/**
 * The deployment rig (test/deploy): nginx in front of 4 `next start` instances of one build,
 * PgBouncer (transaction mode) in front of a private PostgreSQL cluster, all started from the
 * files in deploy/ and all on loopback. Builds the app once into `.next-deploy`
 * (DEPLOY_PREBUILT=1 reuses it, DEPLOY_DIST_DIR names another). `npm run test:deploy` runs it;
 * `npm test` runs the pooler test, then the rig on the fault suite's build (docs/testing.md).
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
    // Generous for a busy shared machine; on a quiet one the rig takes about 2 minutes (no build).
    testTimeout: 420_000,
    hookTimeout: 600_000,
    globalSetup: ["test/deploy/global-setup.ts"],
    fileParallelism: false,
    maxWorkers: 1,
  },
});
