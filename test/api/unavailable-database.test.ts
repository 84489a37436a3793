/**
 * Bounded waits (issue 13): a database that cannot be reached, a lock held longer than
 * DB_LOCK_TIMEOUT_MS, or a transaction queue longer than DB_TRANSACTION_MAX_WAIT_MS answers
 * 503 `service_unavailable` with Retry-After, never a 500 and never a signed-out user; the
 * log names only the code. Afterwards the same cookie still works.
 */
import pg from "pg";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { GET as me } from "@/app/api/me/route";
import { type Db, getDb } from "@/lib/db/client";
import { captureOpsLogs } from "@/lib/dev/process-state";
import { getEnv } from "@/lib/env";
import { TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

let db: Db;
beforeAll(async () => {
  db = await useTestDatabase();
});
let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
  vi.restoreAllMocks();
});

const PASSWORD = "correct horse battery";

async function signUp() {
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail("bounds"), password: PASSWORD },
  });
  expect(res.status).toBe(201);
  return { client, accessToken: res.body.accessToken as string };
}

function expectUnavailable(res: { status: number; headers: Headers; body: any }) {
  expect(res.status).toBe(503);
  expect(res.body).toEqual({
    error: { code: "service_unavailable", message: expect.any(String) },
  });
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
}

describe("an unavailable database answers 503 service_unavailable", () => {
  it("when the server cannot be reached: protected route and refresh, cookie kept, code logged", async () => {
    const { client, accessToken } = await signUp();
    const before = client.refreshToken;
    const logged: string[] = [];
    captureOpsLogs({ write: (line) => logged.push(line) }, "warn");
    restore = setEnv({
      // Nothing listens on port 1; the connect fails at once.
      DATABASE_URL: "postgresql://nobody:secret-password@127.0.0.1:1/nowhere",
      DB_CONNECT_TIMEOUT_MS: "500",
    });

    expectUnavailable(await client.call(me, "/api/me", { bearer: accessToken }));
    const refused = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expectUnavailable(refused);
    // Nothing was decided, so the cookie is neither cleared nor replaced.
    expect(refused.setCookies).toEqual([]);
    expect(client.refreshToken).toBe(before);

    captureOpsLogs(undefined);
    const lines = logged;
    expect(
      lines.some((l) => /database unavailable \((P1001|ECONNREFUSED|pg-connection)/.test(l)),
    ).toBe(true);
    expect(lines.join("\n")).not.toMatch(/secret-password|nobody|nowhere/);

    restore();
    restore = undefined;
    const back = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(back.status).toBe(200);
  });

  it("when a lock (PostgreSQL) or the one connection (PGlite) is held past its bound", async () => {
    const { client } = await signUp();
    const before = client.refreshToken;
    vi.spyOn(console, "warn").mockImplementation(() => {});
    restore = setEnv({
      DB_LOCK_TIMEOUT_MS: "300",
      DB_TRANSACTION_MAX_WAIT_MS: "300",
      DB_STATEMENT_TIMEOUT_MS: "1000",
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding: Promise<unknown>;
    let ready: Promise<void>;
    if (getEnv().DATABASE_URL) {
      const holder = new pg.Client({ connectionString: getEnv().DATABASE_URL });
      await holder.connect();
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE sessions IN EXCLUSIVE MODE");
      ready = Promise.resolve();
      holding = released.then(async () => {
        await holder.query("ROLLBACK");
        await holder.end();
      });
    } else {
      // PGlite runs one transaction at a time: keep one open on the suite's own client.
      let started!: () => void;
      ready = new Promise<void>((resolve) => (started = resolve));
      holding = db.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT 1`;
          started();
          await released;
        },
        { timeout: 60_000 },
      );
    }
    await ready;
    try {
      // A fresh client with the short bounds, as a process configured with them would have.
      expect(await getDb()).not.toBe(db);
      expectUnavailable(await client.call(refresh, "/api/auth/refresh", { method: "POST" }));
      expect(client.refreshToken).toBe(before);
    } finally {
      release();
      await holding;
    }
    const back = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(back.status).toBe(200);
    expect(client.refreshToken).not.toBe(before);
  });
});
