/**
 * Instant revocation across two real `next start` instances on one
 * PostgreSQL (see global-setup.ts): a session revoked through A is refused by
 * B within one second, through B's own LISTEN connection; and when the
 * listening connections are killed (`pg_terminate_backend`) and a session is
 * revoked meanwhile, neither instance ever lets its token through.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TestDeviceKey } from "../device-key";

const { a: A, b: B, databaseUrl, appUrl } = inject("multi");
const PASSWORD = "correct horse battery";
const BOUND_MS = 1000;
const LISTENERS_SQL =
  "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'jwt-revocation-listener'";

let db: pg.Client;
beforeAll(async () => {
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
});
afterAll(() => db.end());

let counter = 0;
async function register(instance: string) {
  const email = `revocation.${Date.now().toString(36)}.${++counter}@example.test`;
  // A sign-up signs a DPoP proof, as a browser's does (lib/auth/dpop.ts), naming the public origin.
  const key = await TestDeviceKey.create();
  const res = await fetch(`${instance}/api/auth/register`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      dpop: await key.proof("POST", `${appUrl}/api/auth/register`),
    },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(res.status).toBe(201);
  const { accessToken } = (await res.json()) as { accessToken: string };
  keyOfToken.set(accessToken, key);
  return accessToken;
}

/** The key each access token's session is bound to: its requests carry a proof by it. */
const keyOfToken = new Map<string, TestDeviceKey>();

/** `Authorization: DPoP` and a fresh proof for `method path` on the public origin. */
async function authorized(token: string, method: string, path: string) {
  const key = keyOfToken.get(token)!;
  return {
    authorization: `DPoP ${token}`,
    dpop: await key.accessProof(method, `${appUrl}${path}`, token),
  };
}

/** `200 ok` or `<status> <code>` for GET /api/me with `token` on `instance`. */
async function answer(instance: string, token: string): Promise<string> {
  const res = await fetch(`${instance}/api/me`, {
    headers: await authorized(token, "GET", "/api/me"),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return `${res.status} ${body.error?.code ?? "ok"}`;
}

/** Polls until `check` is true; fails past the deadline. No sleeping beyond a tick. */
async function within(deadlineMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > deadlineMs) throw new Error(`not within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function listenerPids(): Promise<number[]> {
  return (await db.query<{ pid: number }>(LISTENERS_SQL)).rows.map((r) => r.pid);
}

describe("instant revocation across instances", () => {
  it("a session revoked on A is refused by B within 1 s (401 session_revoked)", async () => {
    const token = await register(A);
    expect(await answer(B, token)).toBe("200 ok");
    expect(await answer(A, token)).toBe("200 ok");
    // Both instances have opened their listening connection.
    await within(30_000, async () => (await listenerPids()).length === 2);

    const revoke = await fetch(`${A}/api/auth/sessions`, {
      method: "DELETE",
      headers: await authorized(token, "DELETE", "/api/auth/sessions"),
    });
    expect(revoke.status).toBe(200);
    const elapsed = await within(BOUND_MS, async () => (await answer(B, token)) !== "200 ok");
    expect(await answer(B, token)).toBe("401 session_revoked");
    expect(await answer(A, token)).toBe("401 session_revoked");
    console.info(`[multi] B refused A's revocation after ${elapsed.toFixed(0)} ms`);
  });

  it("nothing slips through while the listening connections are killed: revoked meanwhile, refused throughout and after", async () => {
    const token = await register(B);
    expect(await answer(A, token)).toBe("200 ok");
    const before = await listenerPids();
    expect(before).toHaveLength(2);

    // Kill both instances' listening connections, then revoke while nobody listens.
    const killed = await db.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM (${LISTENERS_SQL}) AS listeners`,
    );
    expect(killed.rows.map((r) => r.ok)).toEqual([true, true]);
    await db.query(
      "UPDATE sessions SET revoked_at = now(), revoke_reason = 'revoked_by_user' WHERE id = $1",
      [JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).sid],
    );

    // Refused on both, first from the database (fail safe) …
    for (const instance of [A, B]) {
      await within(BOUND_MS, async () => (await answer(instance, token)) === "401 session_revoked");
    }
    // … and still after both reconnected on new connections and caught up.
    await within(30_000, async () => {
      const now = await listenerPids();
      return now.length === 2 && now.every((pid) => !before.includes(pid));
    });
    for (const instance of [A, B])
      expect(await answer(instance, token)).toBe("401 session_revoked");
  });
});
