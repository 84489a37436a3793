/**
 * Times from the write, not from the request: a rotation that waits on the session's row lock is
 * stamped when it gets the lock, so the wait never eats its client's grace (issue "Faults cost no
 * user": a 15 s lock used to stamp rotations 15 s in the past).
 *
 * A second connection (a plain `pg` client, outside the app's pool) holds `SELECT … FOR UPDATE`
 * on the session; the test releases it once PostgreSQL reports the rotation blocked by it
 * (`pg_blocking_pids`), then checks the stamps. PostgreSQL only: PGlite has a single connection,
 * so nothing else can hold a row lock while the app waits.
 */
import pg from "pg";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { runWithClockOffset } from "@/lib/auth/clock";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import type { Db } from "@/lib/db/client";
import { TestClient, uniqueEmail, useTestDatabase } from "@/test/harness";

const databaseUrl = inject("testDatabaseUrl");
let db: Db;
beforeAll(async () => {
  db = await useTestDatabase();
});

async function signedIn() {
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail("lock"), password: "correct horse battery" },
  });
  expect(res.status).toBe(201);
  const token = await db.refreshToken.findUniqueOrThrow({
    where: { tokenHash: hashRefreshToken(client.refreshToken!) },
  });
  return { client, sessionId: token.sessionId, tokenId: token.id };
}

/** Holds the session's row lock from its own connection until `release()`. */
async function holdRowLock(sessionId: string) {
  const holder = new pg.Client({ connectionString: databaseUrl! });
  await holder.connect();
  const pid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
  await holder.query("BEGIN");
  await holder.query("SELECT id FROM sessions WHERE id = $1 FOR UPDATE", [sessionId]);
  const watcher = new pg.Client({ connectionString: databaseUrl! });
  await watcher.connect();
  return {
    /** Resolves once some backend is blocked by the holder (polling PostgreSQL, not the clock). */
    async blockedSomeone(): Promise<void> {
      for (;;) {
        const { rowCount } = await watcher.query(
          "SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
          [pid],
        );
        if (rowCount) return;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    async release(): Promise<void> {
      await holder.query("COMMIT");
      await holder.end();
      await watcher.end();
    },
  };
}

describe.runIf(databaseUrl)("a rotation that waited on the session's row lock", () => {
  for (const offsetSeconds of [0, 3600]) {
    it(`is stamped when it got the lock, not when it started (test clock offset ${offsetSeconds} s)`, async () => {
      const { client, sessionId, tokenId } = await signedIn();
      const original = client.refreshToken!;
      const lock = await holdRowLock(sessionId);

      const startedAt = Date.now();
      const rotation = runWithClockOffset(offsetSeconds * 1000, () =>
        client.call(refresh, "/api/auth/refresh", { method: "POST" }),
      );
      await lock.blockedSomeone();
      const releasedAt = Date.now();
      await lock.release();
      const res = await rotation;
      expect(res.status).toBe(200);
      expect(releasedAt).toBeGreaterThan(startedAt);

      const session = await db.session.findUniqueOrThrow({ where: { id: sessionId } });
      const spent = await db.refreshToken.findUniqueOrThrow({ where: { id: tokenId } });
      const child = await db.refreshToken.findUniqueOrThrow({
        where: { tokenHash: hashRefreshToken(client.refreshToken!) },
      });
      const notBefore = releasedAt + offsetSeconds * 1000;
      for (const stamp of [
        session.headIssuedAt,
        session.lastUsedAt,
        spent.usedAt!,
        child.issuedAt,
      ]) {
        expect(stamp.getTime()).toBeGreaterThanOrEqual(notBefore);
      }
      expect(session.headParentId).toBe(tokenId);

      // The answer was lost: the retry, a whole bound after the lock was released, is still grace.
      const retryOffsetMs = notBefore + 299_000 - Date.now();
      const retry = await runWithClockOffset(retryOffsetMs, () =>
        new TestClient().call(refresh, "/api/auth/refresh", {
          method: "POST",
          refreshToken: original,
        }),
      );
      expect(retry.status).toBe(200);
    });
  }
});
