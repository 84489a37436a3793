/**
 * The fault suite (test/faults): real `next start` processes under load while they, or their
 * database, are killed, restarted, locked or stopped. Builds the app once into `.next-faults`
 * (FAULTS_PREBUILT=1 reuses it); starts its own private PostgreSQL cluster for the PostgreSQL
 * faults. `npm test` runs it; `npm run test:faults` runs it alone.
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
    include: ["test/faults/**/*.test.ts"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 600_000,
    globalSetup: ["test/faults/global-setup.ts"],
    fileParallelism: false,
    maxWorkers: 1,
  },
});
