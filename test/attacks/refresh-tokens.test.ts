/**
 * Attack suite: refresh tokens. Replays, ancestors, two clients holding one
 * token, refresh storms, hostile cookie values, and refresh after every way a
 * session can end. Each outcome is the one lib/auth/sessions.ts defines, and
 * nothing is half-written.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as logout } from "@/app/api/auth/logout/route";
import { POST as changePassword } from "@/app/api/auth/password/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { DELETE as revokeAll } from "@/app/api/auth/sessions/route";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import { verifyAccessToken } from "@/lib/auth/tokens";
import type { Db } from "@/lib/db/client";
import { snapshotDatabase } from "@/test/attacks/db-snapshot";
import { TestClient, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
let db: Db;
beforeAll(async () => {
  db = await useTestDatabase();
});
afterEach(() => vi.useRealTimers());

async function signedIn(client = new TestClient()) {
  const email = uniqueEmail("rt");
  const res = await client.call(register, "/api/auth/register", {
    json: { email, password: PASSWORD },
  });
  return { client, email, accessToken: res.body.accessToken as string };
}
const doRefresh = (client: TestClient, refreshToken?: string | null) =>
  client.call(refresh, "/api/auth/refresh", { method: "POST", refreshToken });
const sessionOf = async (raw: string) =>
  (
    await db.refreshToken.findUniqueOrThrow({
      where: { tokenHash: hashRefreshToken(raw) },
      include: { session: true },
    })
  ).session;
function advanceClock(seconds: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + seconds * 1000);
}

describe("replay", () => {
  it("replay after rotation, past the grace bound, revokes the family", async () => {
    const { client } = await signedIn();
    const stolen = client.refreshToken!;
    await doRefresh(client);
    advanceClock(301);
    const res = await doRefresh(new TestClient(), stolen);
    expect(res.body.error.code).toBe("refresh_token_reused");
    expect((await sessionOf(stolen)).revokeReason).toBe("refresh_token_reused");
    expect((await doRefresh(client)).body.error.code).toBe("refresh_token_reused");
  });

  it("an older ancestor inside the grace window is still reuse", async () => {
    const { client } = await signedIn();
    const ancestor = client.refreshToken!;
    await doRefresh(client);
    await doRefresh(client);
    expect((await doRefresh(new TestClient(), ancestor)).body.error.code).toBe(
      "refresh_token_reused",
    );
  });

  it("the same token from two different clients before the head is presented: both get a token", async () => {
    const { client } = await signedIn();
    const shared = client.refreshToken!;
    const thief = new TestClient("other device");
    expect((await doRefresh(client, shared)).status).toBe(200);
    expect((await doRefresh(thief, shared)).status).toBe(200);
    expect(client.refreshToken).not.toBe(thief.refreshToken);
    expect((await sessionOf(shared)).revokedAt).toBeNull();
  });

  it("the same token from two different clients after the head was presented: reuse, both lose", async () => {
    const { client } = await signedIn();
    const shared = client.refreshToken!;
    expect((await doRefresh(client, shared)).status).toBe(200);
    expect((await doRefresh(client)).status).toBe(200);
    const thief = new TestClient("other device");
    expect((await doRefresh(thief, shared)).body.error.code).toBe("refresh_token_reused");
    expect((await doRefresh(client)).body.error.code).toBe("refresh_token_reused");
  });

  it("a grace sibling replayed after a later rotation is reuse", async () => {
    const { client } = await signedIn();
    const original = client.refreshToken!;
    await doRefresh(client);
    const sibling = new TestClient();
    await doRefresh(sibling, original); // inside the window: a sibling at the head
    await doRefresh(client); // the family moves on: the sibling is reuse at once
    expect((await doRefresh(sibling)).body.error.code).toBe("refresh_token_reused");
  });
});

describe("refresh storms", () => {
  it("50 concurrent refreshes of one token: one rotation, no revocation, no orphaned writes", async () => {
    const { client } = await signedIn();
    const shared = client.refreshToken!;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => doRefresh(new TestClient(), shared)),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const session = await sessionOf(shared);
    expect(session.revokedAt).toBeNull();
    expect(session.headGeneration).toBe(1);
    const tokens = await db.refreshToken.findMany({ where: { sessionId: session.id } });
    expect(tokens.filter((t) => t.usedAt)).toHaveLength(1);
    expect(tokens).toHaveLength(51);
  });

  it("a storm of replays of a spent token revokes once and every answer says reused", async () => {
    const { client } = await signedIn();
    const spent = client.refreshToken!;
    await doRefresh(client);
    await doRefresh(client); // presents the successor: the spent token's grace is over
    const results = await Promise.all(
      Array.from({ length: 20 }, () => doRefresh(new TestClient(), spent)),
    );
    expect(new Set(results.map((r) => r.body.error.code))).toEqual(
      new Set(["refresh_token_reused"]),
    );
    expect((await sessionOf(spent)).revokeReason).toBe("refresh_token_reused");
  });
});

describe("hostile cookie values", () => {
  const values: Record<string, string> = {
    empty: "",
    "one character": "x",
    "42 characters": "a".repeat(42),
    "44 characters": "a".repeat(44),
    "standard base64 alphabet": `${"a".repeat(41)}+/`,
    "SQL injection": "' OR 1=1 --",
    "the hash instead of the token": "0".repeat(64),
    "a JWT": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    "8 kB": "a".repeat(8192),
    "percent-encoded": "%41%41%41",
    unicode: "é".repeat(43),
  };
  for (const [name, value] of Object.entries(values)) {
    it(`refuses ${name} with 401 and writes nothing`, async () => {
      const before = await snapshotDatabase(db);
      const res = await new TestClient().call(refresh, "/api/auth/refresh", {
        method: "POST",
        refreshToken: null,
        headers: { cookie: `__Secure-refresh_token=${value}` },
      });
      expect(res.status).toBe(401);
      expect(["refresh_token_missing", "refresh_token_invalid"]).toContain(res.body.error.code);
      expect(await snapshotDatabase(db)).toEqual(before);
    });
  }
  it("refuses duplicate cookies as ambiguous, without trying either (planted-cookies.test.ts)", async () => {
    const res = await new TestClient().call(refresh, "/api/auth/refresh", {
      method: "POST",
      refreshToken: null,
      headers: {
        cookie: `__Secure-refresh_token=${"A".repeat(43)}; __Secure-refresh_token=${"B".repeat(43)}`,
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("refresh_cookie_ambiguous");
  });
});

describe("refresh after the session ended", () => {
  it("after logout", async () => {
    const { client } = await signedIn();
    const token = client.refreshToken!;
    await client.call(logout, "/api/auth/logout", { method: "POST" });
    expect((await doRefresh(new TestClient(), token)).body.error.code).toBe("session_revoked");
  });

  it("after revoke-all, from every device", async () => {
    const { client, email, accessToken } = await signedIn();
    const laptop = new TestClient("laptop");
    await laptop.call(login, "/api/auth/login", { json: { email, password: PASSWORD } });
    await client.call(revokeAll, "/api/auth/sessions", { method: "DELETE", bearer: accessToken });
    expect((await doRefresh(client)).body.error.code).toBe("session_revoked");
    expect((await doRefresh(laptop)).body.error.code).toBe("session_revoked");
  });

  it("after a password change: every session ends, the caller continues in a new one", async () => {
    const { client, email, accessToken } = await signedIn();
    const token = client.refreshToken!;
    const laptop = new TestClient("laptop");
    await laptop.call(login, "/api/auth/login", { json: { email, password: PASSWORD } });
    const changed = await client.call(changePassword, "/api/auth/password", {
      json: { currentPassword: PASSWORD, newPassword: "a brand new passphrase" },
      bearer: accessToken,
    });
    expect(changed.status).toBe(200);
    expect(changed.body.revokedSessions).toBe(1);
    expect(changed.body.accessToken).toEqual(expect.any(String));
    expect((await doRefresh(laptop)).body.error.code).toBe("session_revoked");
    // The caller's old refresh token (a copy of the cookie) is revoked too; the new cookie works.
    expect((await doRefresh(new TestClient(), token)).body.error.code).toBe("session_revoked");
    expect((await doRefresh(client)).status).toBe(200);
    const oldPassword = await new TestClient().call(login, "/api/auth/login", {
      json: { email, password: PASSWORD },
    });
    expect(oldPassword.body.error.code).toBe("invalid_credentials");
    const newPassword = await new TestClient().call(login, "/api/auth/login", {
      json: { email, password: "a brand new passphrase" },
    });
    expect(newPassword.status).toBe(200);
  });

  it("a password change with the wrong current password changes nothing but the throttle's count", async () => {
    const { client, email, accessToken } = await signedIn();
    const before = await snapshotDatabase(db);
    const res = await client.call(changePassword, "/api/auth/password", {
      json: { currentPassword: "not my password", newPassword: "a brand new passphrase" },
      bearer: accessToken,
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("invalid_current_password");
    // The guess counts against this session's own limit (lib/auth/throttle.ts), not the login's.
    expect(await snapshotDatabase(db)).toEqual({ ...before, rateLimits: before.rateLimits + 1 });
    const { sid } = await verifyAccessToken(accessToken);
    const counter = await db.rateLimit.findUniqueOrThrow({
      where: { key: `password:session:${sid}` },
    });
    expect(counter.points).toBe(1);
    const loginCounter = await db.rateLimit.findUnique({
      where: { key: `login:account:${email}` },
    });
    expect(loginCounter?.points ?? 0).toBe(0);
  });
});
