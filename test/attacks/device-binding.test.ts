/**
 * Attack suite: device binding (lib/auth/dpop.ts). A thief holds a copy of the refresh cookie,
 * from another device, without the browser's non-extractable key. Every way such a thief (or a
 * sloppy client) can present it is refused with its own code; only a proof by another key with
 * the right cookie ends the session (that is theft, ARCHITECTURE.md "Device binding"); every
 * other refusal writes nothing and the victim keeps refreshing.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { POST as changePassword } from "@/app/api/auth/password/route";
import { GET as currentSession } from "@/app/api/auth/sessions/current/route";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import type { Db } from "@/lib/db/client";
import { snapshotDatabase } from "@/test/attacks/db-snapshot";
import { TestDeviceKey } from "@/test/device-key";
import { APP_ORIGIN, TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
const REFRESH_URL = `${APP_ORIGIN}/api/auth/refresh`;
let db: Db;
beforeAll(async () => {
  db = await useTestDatabase();
});

async function victim() {
  const client = new TestClient("victim");
  const email = uniqueEmail("bound");
  const res = await client.call(register, "/api/auth/register", {
    json: { email, password: PASSWORD },
  });
  expect(res.status).toBe(201);
  const key = await client.keyFor(null);
  return { client, email, key, cookie: client.refreshToken! };
}

const sessionOf = async (raw: string) =>
  (
    await db.refreshToken.findUniqueOrThrow({
      where: { tokenHash: hashRefreshToken(raw) },
      include: { session: true },
    })
  ).session;

/** Presents `cookie` with exactly this DPoP header (null: none), no retry. */
const presentWith = (cookie: string, dpop: string | null, headers: Record<string, string> = {}) =>
  new TestClient("thief").call(refresh, "/api/auth/refresh", {
    method: "POST",
    refreshToken: cookie,
    dpop,
    headers,
  });

/** The victim still refreshes (and so its session was untouched). */
async function expectVictimKeepsWorking(client: TestClient) {
  const again = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
  expect(again.status).toBe(200);
}

describe("binding at sign-in", () => {
  it("stores the thumbprint of the key whose proof came with the registration, and shows it", async () => {
    const { client, key, cookie } = await victim();
    expect((await sessionOf(cookie)).dpopJkt).toBe(await key.thumbprint());
    const fresh = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    const view = await client.call(currentSession, "/api/auth/sessions/current", {
      bearer: fresh.body.accessToken,
    });
    expect(view.body.session.deviceKeyThumbprint).toBe(await key.thumbprint());
  });

  it("answers every sign-in with a DPoP-Nonce the first refresh can use", async () => {
    const client = new TestClient();
    const res = await client.call(register, "/api/auth/register", {
      json: { email: uniqueEmail("nonce"), password: PASSWORD },
    });
    expect(res.headers.get("dpop-nonce")).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
  });

  it("refuses a login without a proof before any password work, and starts no session", async () => {
    const { email } = await victim();
    const before = await snapshotDatabase(db);
    const res = await new TestClient().call(login, "/api/auth/login", {
      json: { email, password: PASSWORD },
      dpop: null,
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("dpop_proof_required");
    expect(res.setCookies).toEqual([]);
    expect(await snapshotDatabase(db)).toEqual(before);
  });

  it("refuses a proof carrying a private key (a client that leaked it is not bound to it)", async () => {
    const { privateKey } = await import("jose").then((jose) =>
      jose.generateKeyPair("ES256", { extractable: true }),
    );
    const jose = await import("jose");
    const jwk = await jose.exportJWK(privateKey);
    const proof = await new jose.SignJWT({
      htm: "POST",
      htu: `${APP_ORIGIN}/api/auth/register`,
      iat: Math.floor(Date.now() / 1000),
      jti: "a-unique-proof-identifier",
    })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
      .sign(privateKey);
    const res = await new TestClient().call(register, "/api/auth/register", {
      json: { email: uniqueEmail("leak"), password: PASSWORD },
      dpop: proof,
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_dpop_proof");
  });

  it("a password change keeps the new session bound to the same key", async () => {
    const { client, key } = await victim();
    const fresh = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    const changed = await client.call(changePassword, "/api/auth/password", {
      json: { currentPassword: PASSWORD, newPassword: "another horse battery staple" },
      bearer: fresh.body.accessToken,
    });
    expect(changed.status).toBe(200);
    expect((await sessionOf(client.refreshToken!)).dpopJkt).toBe(await key.thumbprint());
    await expectVictimKeepsWorking(client);
  });
});

describe("a copied cookie on another device", () => {
  it("without any proof: dpop_proof_required, nothing written, the victim keeps working", async () => {
    const { client, cookie } = await victim();
    const before = await snapshotDatabase(db);
    const res = await presentWith(cookie, null);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("dpop_proof_required");
    expect(await snapshotDatabase(db)).toEqual(before);
    await expectVictimKeepsWorking(client);
  });

  it("with a proof by the thief's own key: dpop_key_mismatch, and the whole family is revoked", async () => {
    const { client, cookie, key } = await victim();
    const thiefKey = await TestDeviceKey.create();
    thiefKey.nonce = key.nonce; // nonces are public: the thief can get one from any answer
    const res = await presentWith(cookie, await thiefKey.proof("POST", REFRESH_URL));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("dpop_key_mismatch");
    const session = await sessionOf(cookie);
    expect(session.revokeReason).toBe("dpop_key_mismatch");
    // The owner reads it under "Recent security activity" (auth_events), once.
    const events = await db.authEvent.findMany({
      where: { sessionId: session.id, kind: "session_revoked" },
      select: { reason: true },
    });
    expect(events).toEqual([{ reason: "dpop_key_mismatch" }]);
    // The victim's token dies with it: only a thief makes such a proof, so the session is over.
    const after = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("dpop_key_mismatch");
  });

  it("with a replayed proof (the victim's, seen on the wire): dpop_proof_replayed, nothing written", async () => {
    const { client, cookie, key } = await victim();
    const proof = await key.proof("POST", REFRESH_URL);
    const first = await presentWith(cookie, proof);
    expect(first.status).toBe(200);
    const successor = /refresh_token=([^;]+)/.exec(first.setCookies.join("\n"))![1]!;
    const before = await snapshotDatabase(db);
    const replay = await presentWith(successor, proof);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("dpop_proof_replayed");
    expect(await snapshotDatabase(db)).toEqual(before);
    // The owner of the successor still refreshes with a proof of its own.
    client.refreshToken = successor;
    await expectVictimKeepsWorking(client);
  });

  it("the same proof on the careful path (a grace retry): replayed, nothing written", async () => {
    const { cookie, key } = await victim();
    const proof = await key.proof("POST", REFRESH_URL);
    expect((await presentWith(cookie, proof)).status).toBe(200);
    // The spent cookie again, as a lost answer's retry would, with the same proof.
    const before = await snapshotDatabase(db);
    const replay = await presentWith(cookie, proof);
    expect(replay.body.error.code).toBe("dpop_proof_replayed");
    expect(await snapshotDatabase(db)).toEqual(before);
    // With a fresh proof the retry gets its grace sibling.
    expect((await presentWith(cookie, await key.proof("POST", REFRESH_URL))).status).toBe(200);
  });

  it("twenty copies of one proof released together: exactly one is accepted", async () => {
    const { cookie, key } = await victim();
    const proof = await key.proof("POST", REFRESH_URL);
    const results = await Promise.all(Array.from({ length: 20 }, () => presentWith(cookie, proof)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    const codes = new Set(results.filter((r) => r.status !== 200).map((r) => r.body.error.code));
    expect(codes).toEqual(new Set(["dpop_proof_replayed"]));
    const session = await sessionOf(cookie);
    expect(session.revokedAt).toBeNull();
    expect(session.headGeneration).toBe(1);
  });

  it.each([
    ["a stale iat", { iat: Math.floor(Date.now() / 1000) - 3600 }, {}],
    ["an iat in the future", { iat: Math.floor(Date.now() / 1000) + 3600 }, {}],
    ["a wrong htu (another server)", { htu: "https://evil.example/api/auth/refresh" }, {}],
    ["a wrong htu (another route)", { htu: `${APP_ORIGIN}/api/auth/login` }, {}],
    ["a wrong htm", { htm: "GET" }, {}],
    ["a short jti", { jti: "1" }, {}],
    ["no jti", { jti: undefined }, {}],
    ["the wrong typ", {}, { typ: "JWT" }],
  ])("with %s: invalid_dpop_proof, nothing written", async (_label, claims, header) => {
    const { client, cookie, key } = await victim();
    const before = await snapshotDatabase(db);
    const res = await presentWith(cookie, await key.proof("POST", REFRESH_URL, claims, header));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_dpop_proof");
    expect(res.body.error.message).not.toMatch(/at |Error/);
    expect(await snapshotDatabase(db)).toEqual(before);
    await expectVictimKeepsWorking(client);
  });

  it.each([
    ["no nonce", { nonce: undefined }],
    ["a forged nonce", { nonce: `${Math.floor(Date.now() / 300_000)}.${"A".repeat(43)}` }],
    ["a nonce from long ago", { nonce: undefined, old: true }],
  ])(
    "with %s: use_dpop_nonce and a fresh nonce, nothing written, the cookie kept",
    async (_l, c) => {
      const { client, cookie, key } = await victim();
      const claims: Record<string, unknown> = { nonce: c.nonce };
      if ("old" in c)
        claims.nonce = `${Math.floor(Date.now() / 300_000) - 5}.${key.nonce!.split(".")[1]}`;
      const before = await snapshotDatabase(db);
      const res = await presentWith(cookie, await key.proof("POST", REFRESH_URL, claims));
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("use_dpop_nonce");
      expect(res.headers.get("dpop-nonce")).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
      expect(res.headers.get("www-authenticate")).toBe('DPoP error="use_dpop_nonce"');
      expect(res.setCookies.join("\n")).not.toMatch(/refresh_token=/);
      expect(await snapshotDatabase(db)).toEqual(before);
      await expectVictimKeepsWorking(client);
    },
  );

  it.each([
    ["garbage", "not-a-jwt"],
    ["two proofs", "a.b.c, d.e.f"],
    ["an oversized header", `${"a".repeat(3000)}.b.c`],
  ])("with %s as the proof: invalid_dpop_proof, nothing written", async (_l, dpop) => {
    const { cookie } = await victim();
    const before = await snapshotDatabase(db);
    const res = await presentWith(cookie, dpop);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_dpop_proof");
    expect(await snapshotDatabase(db)).toEqual(before);
  });
});

describe("DPOP_BINDING=off, the documented switch", () => {
  it("starts unbound sessions that refresh without a proof, and bound ones still need theirs", async () => {
    const bound = await victim();
    const restore = setEnv({ DPOP_BINDING: "off" });
    try {
      const plain = new TestClient();
      const res = await plain.call(register, "/api/auth/register", {
        json: { email: uniqueEmail("plain"), password: PASSWORD },
        dpop: null,
      });
      expect(res.status).toBe(201);
      expect((await sessionOf(plain.refreshToken!)).dpopJkt).toBeNull();
      const refreshed = await plain.call(refresh, "/api/auth/refresh", {
        method: "POST",
        dpop: null,
      });
      expect(refreshed.status).toBe(200);
      // The switch never unbinds a session that has a key.
      const before = await snapshotDatabase(db);
      const copied = await presentWith(bound.cookie, null);
      expect(copied.body.error.code).toBe("dpop_proof_required");
      expect(await snapshotDatabase(db)).toEqual(before);
    } finally {
      restore();
    }
  });
});
