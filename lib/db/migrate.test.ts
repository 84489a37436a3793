/**
 * The offline migration path (Prisma's WASM schema engine through a driver
 * adapter) on a throwaway PGlite: it applies the committed history once, and
 * the history matches schema.prisma (so nobody forgot `npm run db:migration`).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { afterAll, describe, expect, it } from "vitest";
import {
  MIGRATIONS_DIR,
  applyMigrations,
  diffMigrationsToSchema,
  readMigrationsList,
} from "@/lib/db/migrate";

describe("migrations", () => {
  const pglite = new PGlite();
  afterAll(() => pglite.close());

  it("applies every committed migration once and records it like `prisma migrate deploy`", async () => {
    const { migrationDirectories } = await readMigrationsList();
    expect(migrationDirectories.length).toBeGreaterThan(0);
    const first = await applyMigrations(new PrismaPGlite(pglite));
    expect(first).toEqual(migrationDirectories.map((d) => d.path));
    expect(await applyMigrations(new PrismaPGlite(pglite))).toEqual([]);
    const { rows } = await pglite.query<{ migration_name: string }>(
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name",
    );
    expect(rows.map((r) => r.migration_name)).toEqual(first);
  });

  it("has a migration history that matches schema.prisma", async () => {
    const scratch = new PGlite();
    const sql = await diffMigrationsToSchema(new PrismaPGlite(scratch));
    await scratch.close();
    expect(sql.trim()).toMatch(/^(-- This is an empty migration\.)?$/);
  });

  // @prisma/adapter-pg runs a migration script by splitting it on every ";" (PGlite's adapter
  // does not), so a semicolon inside a function body or a comment breaks PostgreSQL only.
  it("has no semicolon the PostgreSQL adapter would split wrongly (bodies, comments)", async () => {
    const { migrationDirectories } = await readMigrationsList();
    for (const { path: name } of migrationDirectories) {
      const sql = await fs.readFile(path.join(MIGRATIONS_DIR, name, "migration.sql"), "utf8");
      expect(sql, name).not.toContain("$$");
      const commentsWithSemicolon = sql.split("\n").filter((line) => /--.*;/.test(line));
      expect(commentsWithSemicolon, name).toEqual([]);
    }
  });
});
