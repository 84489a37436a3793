/**
 * Migrations without Prisma's native schema engine.
 *
 * The Prisma CLI downloads a native `schema-engine` binary on first use; where
 * that download is impossible (air-gapped CI, locked-down hosts) `prisma
 * migrate deploy` cannot run. Prisma also publishes the same engine compiled to
 * WebAssembly (`@prisma/schema-engine-wasm`), which talks to the database
 * through a driver adapter. We load it here and call the same commands the CLI
 * would: `applyMigrations` is `prisma migrate deploy` (it records each applied
 * migration in `_prisma_migrations`, so the CLI agrees with it wherever the
 * native engine exists) and `diff` is `prisma migrate diff`.
 *
 * Not server-only: the `db:migrate` command and the tests use it outside Next.
 */
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm";

const PROJECT_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
export const SCHEMA_PATH = path.join(PROJECT_ROOT, "prisma/schema.prisma");
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma/migrations");
const NO_FILTERS = { externalTables: [], externalEnums: [] };

type EngineModule = typeof import("@prisma/schema-engine-wasm");
let engineModule: Promise<EngineModule> | undefined;

/**
 * IMPORTANT: the package is built for bundlers (`import "./x.wasm"`), which
 * plain Node cannot do. We instantiate the .wasm beside the JS glue by hand and
 * hand its exports to the glue, which is what the bundler would have done.
 */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const glue = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as EngineModule & {
      __wbg_set_wasm(exports: WebAssembly.Exports): void;
    };
    const wasmBytes = await fs.readFile(path.join(path.dirname(gluePath), "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(wasmBytes, {
      "./schema_engine_bg.js": glue as unknown as WebAssembly.ModuleImports,
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return engineModule;
}

async function withEngine<T>(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  log: (line: string) => void,
  run: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  const schema = await fs.readFile(SCHEMA_PATH, "utf8");
  const engine = await SchemaEngine.new(
    { datamodels: [[SCHEMA_PATH, schema]] },
    (message: string) => log(message),
    bindMigrationAwareSqlAdapterFactory(adapterFactory),
  );
  try {
    return await run(engine);
  } finally {
    engine.free();
  }
}

/** Reads prisma/migrations the way the Prisma CLI does. */
export async function readMigrationsList(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const lockfilePath = path.join(dir, "migration_lock.toml");
  return {
    baseDir: dir,
    lockfile: {
      path: "migration_lock.toml",
      content: await fs.readFile(lockfilePath, "utf8").catch(() => null),
    },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      names.map(async (name) => {
        const content = await fs
          .readFile(path.join(dir, name, "migration.sql"), "utf8")
          .then((value) => ({ tag: "ok" as const, value }))
          .catch((error: Error) => ({ tag: "error" as const, value: error.message }));
        return { path: name, migrationFile: { path: "migration.sql", content } };
      }),
    ),
  };
}

/**
 * Applies every migration in prisma/migrations that the database has not seen,
 * exactly as `prisma migrate deploy` would. A second call applies nothing.
 *
 * @example
 * const applied = await applyMigrations(await createAdapterFactory(target));
 * // ["20261127000000_init"] on a fresh database, [] afterwards
 */
export async function applyMigrations(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const migrationsList = await readMigrationsList();
  return withEngine(adapterFactory, log, async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList,
      filters: NO_FILTERS,
    });
    return appliedMigrationNames;
  });
}

/**
 * Names of committed migrations the database has not applied yet. Reads
 * `_prisma_migrations` directly, so it never changes anything.
 */
export async function listPendingMigrations(
  query: (sql: string) => Promise<Array<{ migration_name: string }>>,
): Promise<string[]> {
  const { migrationDirectories } = await readMigrationsList();
  const applied = await query(
    `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  ).catch(() => []);
  const done = new Set(applied.map((row) => row.migration_name));
  return migrationDirectories.map((d) => d.path).filter((name) => !done.has(name));
}

/**
 * The SQL that takes the committed migration history to the current
 * schema.prisma (empty when they agree). This is `prisma migrate diff
 * --from-migrations --to-schema`, and needs no shadow database.
 */
export async function diffMigrationsToSchema(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
): Promise<string> {
  const migrationsList = await readMigrationsList();
  const schema = await fs.readFile(SCHEMA_PATH, "utf8");
  return withEngine(
    adapterFactory,
    () => {},
    async (engine) => {
      const from =
        migrationsList.migrationDirectories.length === 0
          ? ({ tag: "empty" } as const)
          : ({ tag: "migrations", ...migrationsList } as const);
      const result = await engine.diff({
        from,
        to: { tag: "schemaDatamodel", files: [{ path: SCHEMA_PATH, content: schema }] },
        script: true,
        exitCode: null,
        filters: NO_FILTERS,
      });
      return result.stdout ?? "";
    },
  );
}
