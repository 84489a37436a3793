/**
 * The hand-written hot paths' runner (`getSqlRunner`, lib/db/adapter.ts), on whichever database
 * the suite runs: the driver's types come back parsed, a statement survives a failed call (on
 * PGlite it stays prepared under its name; PostgreSQL gets it unnamed, see `SqlStatement`),
 * and on PGlite it never runs inside an open Prisma transaction (it would see, and be part of,
 * that transaction's uncommitted writes).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type Db, getSqlRunner } from "@/lib/db/client";
import { useTestDatabase } from "@/test/harness";

let db: Db;
beforeAll(async () => {
  db = await useTestDatabase();
});

const READ_USER = {
  name: "sql_runner_test_read_user",
  text: "SELECT id, name, created_at, 1::int AS one FROM users WHERE id = $1::uuid",
};

async function newUser() {
  return db.user.create({
    data: {
      email: `runner.${crypto.randomUUID()}@example.test`,
      name: "before",
      passwordHash: "x",
    },
  });
}

describe("getSqlRunner", () => {
  it("returns rows as objects with PostgreSQL's types parsed", async () => {
    const user = await newUser();
    const run = await getSqlRunner();
    const rows = await run<{ id: string; name: string; created_at: Date; one: number }>({
      ...READ_USER,
      values: [user.id],
    });
    expect(rows).toEqual([{ id: user.id, name: "before", created_at: user.createdAt, one: 1 }]);
  });

  it("keeps working after a call fails (the statement stays usable)", async () => {
    const user = await newUser();
    const run = await getSqlRunner();
    await expect(run({ ...READ_USER, values: ["not-a-uuid"] })).rejects.toMatchObject({
      code: "22P02",
      severity: "ERROR",
    });
    await expect(run({ ...READ_USER, values: [user.id] })).resolves.toHaveLength(1);
  });

  it("waits for an open transaction instead of running inside it", async () => {
    const user = await newUser();
    const run = await getSqlRunner();
    let inside: () => void = () => {};
    const written = new Promise<void>((resolve) => (inside = resolve));
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = db
      .$transaction(async (tx) => {
        await tx.user.update({ where: { id: user.id }, data: { name: "uncommitted" } });
        inside();
        await held;
        throw new Error("roll back");
      })
      .catch((error: Error) => error.message);

    await written;
    const read = run<{ name: string }>({ ...READ_USER, values: [user.id] });
    // Give the read every chance to slip into the transaction before it ends.
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    expect(await transaction).toBe("roll back");
    expect((await read)[0]?.name).toBe("before");
  });
});
