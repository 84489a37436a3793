/**
 * Two `next start` instances on one PostgreSQL behave as one app (see
 * global-setup.ts for how they are started). Requests go straight to each
 * instance over HTTP, the way a load balancer would spread them; the refresh
 * cookie is carried by hand, as any non-browser client must.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DeviceKeys } from "../device-key";

const { a: A, b: B, databaseUrl, oldKid, newKid, appUrl } = inject("multi");
const PASSWORD = "correct horse battery";
const REFRESH_COOKIE = "__Secure-refresh_token";

let db: pg.Client;
beforeAll(async () => {
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
});
afterAll(() => db.end());

type Reply = {
  status: number;
  body: any;
  headers: Headers;
  /** The refresh token the response set (undefined: untouched, null: cleared). */
  refreshToken: string | null | undefined;
};

/** Sessions are bound to a key, as a browser's are (test/device-key.ts). */
const devices = new DeviceKeys();

async function call(
  instance: string,
  urlPath: string,
  options: {
    method?: string;
    json?: unknown;
    bearer?: string;
    refreshToken?: string;
    forwardedFor?: string;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.json !== undefined) headers["content-type"] = "application/json";
  if (options.refreshToken) headers.cookie = `${REFRESH_COOKIE}=${options.refreshToken}`;
  if (options.forwardedFor) headers["x-forwarded-for"] = options.forwardedFor;
  const method = options.method ?? (options.json === undefined ? "GET" : "POST");
  const key = await devices.keyFor(urlPath, options.refreshToken);
  const send = async () => {
    // Proofs name the public origin (APP_URL, the imagined load balancer), as a browser's would.
    if (key) headers.dpop = await key.proof(method, `${appUrl}${urlPath}`);
    // A bound access token goes as `DPoP` with a fresh proof (with `ath`), as a browser's.
    if (options.bearer) {
      Object.assign(
        headers,
        await devices.authorize(options.bearer, method, `${appUrl}${urlPath}`),
      );
    }
    const answer = await fetch(`${instance}${urlPath}`, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    key?.learnNonce(answer.headers);
    return answer;
  };
  let response = await send();
  if (key && response.status === 401 && response.headers.has("dpop-nonce")) {
    const peek = (await response.clone().json()) as { error?: { code?: string } };
    if (peek.error?.code === "use_dpop_nonce") response = await send();
  }
  let refreshToken: string | null | undefined;
  for (const line of response.headers.getSetCookie()) {
    const match = new RegExp(`^${REFRESH_COOKIE}=([^;]*)`).exec(line);
    if (match) refreshToken = match[1] || null;
  }
  devices.remember(key, response.headers, refreshToken);
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (typeof body?.accessToken === "string") {
    devices.remember(key, response.headers, null, body.accessToken);
  }
  return {
    status: response.status,
    body,
    headers: response.headers,
    refreshToken,
  };
}

let emailCounter = 0;
async function register(instance: string, forwardedFor?: string) {
  const email = `multi.${Date.now().toString(36)}.${++emailCounter}@example.test`;
  const res = await call(instance, "/api/auth/register", {
    json: { email, password: PASSWORD },
    forwardedFor,
  });
  expect(res.status).toBe(201);
  return {
    email,
    userId: res.body.user.id as string,
    accessToken: res.body.accessToken as string,
    refreshToken: res.refreshToken!,
  };
}

const refresh = (instance: string, refreshToken: string) =>
  call(instance, "/api/auth/refresh", { method: "POST", refreshToken });

const jwtHeader = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());
const jwtClaims = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());

async function sessionRow(sessionId: string) {
  const { rows } = await db.query(
    `SELECT head_generation, revoked_at, revoke_reason FROM sessions WHERE id = $1`,
    [sessionId],
  );
  return rows[0] as { head_generation: number; revoked_at: Date | null; revoke_reason: string };
}

describe("two instances sharing one PostgreSQL", () => {
  it("B accepts the DPoP nonce A issued (one nonce key for all), and refuses a proof seen before", async () => {
    const user = await register(A);
    const key = (await devices.keyFor("/api/auth/refresh", user.refreshToken))!;
    expect(key.nonce).toMatch(/^\d+\./); // learned from A's answer
    const proof = await key.proof("POST", `${appUrl}/api/auth/refresh`);
    const present = (refreshToken: string) =>
      fetch(`${B}/api/auth/refresh`, {
        method: "POST",
        headers: { cookie: `${REFRESH_COOKIE}=${refreshToken}`, dpop: proof },
      });
    const first = await present(user.refreshToken);
    expect(first.status).toBe(200);
    const successor = /refresh_token=([^;]+)/.exec(first.headers.getSetCookie().join("\n"))![1]!;
    const replay = await present(successor);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe(
      "dpop_proof_replayed",
    );
  });

  it("refreshes on B a session started on A, and each accepts the other's access tokens", async () => {
    const user = await register(A);
    const refreshed = await refresh(B, user.refreshToken);
    expect(refreshed.status).toBe(200);
    expect(refreshed.refreshToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(refreshed.refreshToken).not.toBe(user.refreshToken);
    expect(jwtClaims(refreshed.body.accessToken).sid).toBe(jwtClaims(user.accessToken).sid);

    for (const [instance, token] of [
      [B, user.accessToken],
      [A, refreshed.body.accessToken],
    ] as const) {
      const me = await call(instance, "/api/me", { bearer: token });
      expect(me.status).toBe(200);
      expect(me.body.user.id).toBe(user.userId);
    }
    // The rotated token keeps working on A, so the rotation really was shared.
    expect((await refresh(A, refreshed.refreshToken!)).status).toBe(200);
  });

  it("ends 50 concurrent refreshes of one token, spread over both instances, in exactly one rotation and no revocation", async () => {
    const user = await register(A);
    const sessionId = jwtClaims(user.accessToken).sid as string;
    // Warm both instances' refresh route and pool, so the storm is about the race.
    await register(B).then((u) => refresh(B, u.refreshToken));

    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => refresh(i % 2 === 0 ? A : B, user.refreshToken)),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(200));
    const issued = replies.map((r) => r.refreshToken!);
    expect(new Set(issued).size).toBe(50);

    const session = await sessionRow(sessionId);
    expect(session).toMatchObject({ head_generation: 1, revoked_at: null });
    const { rows } = await db.query(
      `SELECT generation, count(*)::int AS tokens, count(used_at)::int AS used
         FROM refresh_tokens WHERE session_id = $1 GROUP BY generation ORDER BY generation`,
      [sessionId],
    );
    // Generation 0 spent once; generation 1 = the one successor + 49 grace siblings.
    expect(rows).toEqual([
      { generation: 0, tokens: 1, used: 1 },
      { generation: 1, tokens: 50, used: 0 },
    ]);
    // Any of the 50 answers keeps the session alive, on either instance.
    expect((await refresh(B, issued[0]!)).status).toBe(200);
    expect((await sessionRow(sessionId)).revoked_at).toBeNull();
  });

  it("revokes the family on both instances when a spent token is replayed on A after B rotated past it", async () => {
    const user = await register(A);
    const sessionId = jwtClaims(user.accessToken).sid as string;
    const first = await refresh(B, user.refreshToken);
    const second = await refresh(B, first.refreshToken!);
    expect(second.status).toBe(200);

    // The original token is two generations behind: reuse, whatever the grace window.
    const replay = await refresh(A, user.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("refresh_token_reused");
    expect(replay.refreshToken).toBeNull(); // the cookie is cleared

    for (const instance of [B, A]) {
      const victim = await refresh(instance, second.refreshToken!);
      expect(victim.status).toBe(401);
      expect(victim.body.error.code).toBe("refresh_token_reused");
    }
    expect(await sessionRow(sessionId)).toMatchObject({
      revoke_reason: "refresh_token_reused",
      revoked_at: expect.any(Date),
    });
  });

  it("honours a signing key rotated on one instance on the other (A signs with the new key, B still with the old)", async () => {
    const fromA = await register(A);
    const fromB = await register(B);
    expect(jwtHeader(fromA.accessToken).kid).toBe(newKid);
    expect(jwtHeader(fromB.accessToken).kid).toBe(oldKid);

    for (const [instance, user] of [
      [B, fromA],
      [A, fromB],
    ] as const) {
      const whoami = await call(instance, "/api/whoami", { bearer: user.accessToken });
      expect(whoami.status).toBe(200);
      expect(whoami.body.userId).toBe(user.userId);
    }
    for (const instance of [A, B]) {
      const jwks = await call(instance, "/.well-known/jwks.json");
      expect(jwks.body.keys.map((k: { kid: string }) => k.kid).sort()).toEqual(
        [oldKid, newKid].sort(),
      );
    }
  });

  it("counts failed logins on both instances together against one limit", async () => {
    const address = "203.0.113.7";
    const user = await register(A);
    for (let i = 0; i < 5; i++) {
      const failed = await call(i % 2 === 0 ? A : B, "/api/auth/login", {
        json: { email: user.email, password: "wrong password!" },
        forwardedFor: address,
      });
      expect(failed.status).toBe(401);
    }
    for (const instance of [A, B]) {
      const locked = await call(instance, "/api/auth/login", {
        json: { email: user.email, password: PASSWORD },
        forwardedFor: address,
      });
      expect(locked.status).toBe(429);
      expect(locked.body.error.code).toBe("too_many_attempts");
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // The owner, from another address, still gets in on either instance.
    const owner = await call(B, "/api/auth/login", {
      json: { email: user.email, password: PASSWORD },
      forwardedFor: "198.51.100.20",
    });
    expect(owner.status).toBe(200);
  });

  it("240 correct logins of one account from one address, 5 at a time over both instances: every one 200 (no deadlock, no point left behind)", async () => {
    // Issue 26: at 6 at a time, 3 answered 503 (PostgreSQL: deadlock detected) and one a 429
    // whose password was right. Five in flight is the per-pair limit: every round fits in it,
    // as long as every correct password gives its points back and no statement is killed.
    const address = "203.0.113.88";
    const user = await register(A);
    const statuses: number[] = [];
    for (let round = 0; round < 48; round++) {
      const replies = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          call((round + i) % 2 === 0 ? A : B, "/api/auth/login", {
            json: { email: user.email, password: PASSWORD },
            forwardedFor: address,
          }),
        ),
      );
      statuses.push(...replies.map((r) => r.status));
    }
    const byStatus: Record<number, number> = {};
    for (const status of statuses) byStatus[status] = (byStatus[status] ?? 0) + 1;
    expect(byStatus).toEqual({ 200: 240 });
    const { rows } = await db.query<{ deadlocks: string }>(
      "SELECT deadlocks::text FROM pg_stat_database WHERE datname = current_database()",
    );
    // PostgreSQL's own count (its statistics may lag, never overcount).
    expect(rows[0]?.deadlocks).toBe("0");
  });

  it("records the address from the proxy's X-Forwarded-For, and both instances list the same sessions", async () => {
    const user = await register(A, "198.51.100.23");
    const login = await call(B, "/api/auth/login", {
      json: { email: user.email, password: PASSWORD },
      forwardedFor: "10.0.0.1, 198.51.100.24",
    });
    expect(login.status).toBe(200);
    for (const instance of [A, B]) {
      const list = await call(instance, "/api/auth/sessions", { bearer: user.accessToken });
      expect(list.status).toBe(200);
      expect(list.body.sessions.map((s: { ip: string }) => s.ip).sort()).toEqual([
        "198.51.100.23",
        "198.51.100.24",
      ]);
    }
  });

  it("ends a session everywhere: revoked on B, it cannot refresh on A; logged out on A, it cannot refresh on B", async () => {
    const user = await register(A);
    const second = await call(A, "/api/auth/login", {
      json: { email: user.email, password: PASSWORD },
    });
    const secondSessionId = jwtClaims(second.body.accessToken).sid as string;

    const revoked = await call(B, `/api/auth/sessions/${secondSessionId}`, {
      method: "DELETE",
      bearer: user.accessToken,
    });
    expect(revoked.status).toBe(204);
    const afterRevoke = await refresh(A, second.refreshToken!);
    expect(afterRevoke.status).toBe(401);
    expect(afterRevoke.body.error.code).toBe("session_revoked");

    const logout = await call(A, "/api/auth/logout", {
      method: "POST",
      refreshToken: user.refreshToken,
    });
    expect(logout.status).toBe(204);
    const afterLogout = await refresh(B, user.refreshToken);
    expect(afterLogout.status).toBe(401);
    expect(afterLogout.body.error.code).toBe("session_revoked");
  });
});
