import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": fileURLToPath(new URL("./", import.meta.url)),
      // `server-only` throws outside React Server Components; in tests we are the server.
      "server-only": fileURLToPath(new URL("./test/server-only-stub.ts", import.meta.url)),
    },
  },
  test: {
    include: [
      "lib/**/*.test.ts",
      "components/**/*.test.ts",
      "app/**/*.test.ts",
      "test/**/*.test.ts",
      "bench/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
    ],
    // Real servers, with their own configs and global setups: vitest.multi.config.mts,
    // vitest.faults.config.mts and vitest.deploy.config.mts.
    exclude: [
      ...configDefaults.exclude,
      "test/multi-instance/**",
      "test/faults/**",
      "test/deploy/**",
      // Holds a row lock from a second connection: PostgreSQL only (PGlite has one connection).
      ...(process.env.DATABASE_URL ? [] : ["test/attacks/lock-wait.test.ts"]),
    ],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 60_000,
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/next-runtime.setup.ts"],
    // One worker, shared module state: every HTTP test file reuses the one
    // migrated database instead of paying PGlite's start-up per file.
    isolate: false,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
