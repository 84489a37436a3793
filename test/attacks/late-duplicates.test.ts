/**
 * Attack suite: late duplicates (lib/auth/sessions.ts, "Late duplicates"). A device sends a
 * refresh, gives up on it (its answer is slow), retries with the same cookie and moves on; the
 * first request, still queued somewhere, runs after the device presented its new token. That
 * copy presents a spent token with a proof by the session's own key signed before the successor
 * was presented: it is refused with 409 `refresh_token_superseded`, nothing written, the cookie
 * kept. Everything else that presents a spent token keeps the old verdict: a proof signed later,
 * another key, no proof, an unbound session, DPOP_BINDING=off, a successor never presented.
 *
 * The late copy's proof is signed (with its `iat`) before the successor is presented, as the real
 * one was; `iat` counts whole seconds, so "before" is a second or two earlier here.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
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
afterEach(() => vi.useRealTimers());

async function device(options: { bound?: boolean } = {}) {
  const client = new TestClient("device");
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail("late"), password: PASSWORD },
    ...(options.bound === false && { dpop: null }),
  });
  expect(res.status).toBe(201);
  return { client, key: await client.keyFor(null) };
}

const refreshOnce = (client: TestClient, dpop?: string | null) =>
  client.call(refresh, "/api/auth/refresh", { method: "POST", dpop });

/** Presents `cookie` with exactly this DPoP header (null: none), no nonce retry, no cookie jar. */
const presentWith = (cookie: string, dpop: string | null) =>
  new TestClient("copy").call(refresh, "/api/auth/refresh", {
    method: "POST",
    refreshToken: cookie,
    dpop,
  });

/** A proof by `key` for the refresh, signed `secondsAgo` earlier (its `iat`). */
const signedEarlier = (key: TestDeviceKey, secondsAgo: number) =>
  key.proof("POST", REFRESH_URL, { iat: Math.floor(Date.now() / 1000) - secondsAgo });

const sessionOf = async (raw: string) =>
  (
    await db.refreshToken.findUniqueOrThrow({
      where: { tokenHash: hashRefreshToken(raw) },
      include: { session: true },
    })
  ).session;

const reuseEvents = (sessionId: string) =>
  db.authEvent.count({ where: { sessionId, kind: "reuse_detected" } });

/** The device, holding T0, refreshes twice: T0 spent, T1 spent (the successor presented), T2 held. */
async function movedOnTwice(client: TestClient) {
  const t0 = client.refreshToken!;
  expect((await refreshOnce(client)).status).toBe(200);
  expect((await refreshOnce(client)).status).toBe(200);
  return t0;
}

describe("a late copy of the device's own refresh (binding on)", () => {
  it("run after the successor was presented: 409 refresh_token_superseded, nothing written, cookie kept", async () => {
    const { client, key } = await device();
    const t0 = client.refreshToken!;
    const late = await signedEarlier(key, 2);
    await movedOnTwice(client);
    const before = await snapshotDatabase(db);
    const res = await presentWith(t0, late);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("refresh_token_superseded");
    // No Set-Cookie at all: a browser's newer cookie must survive this answer.
    expect(res.setCookies).toEqual([]);
    expect(await snapshotDatabase(db)).toEqual(before);
    const session = await sessionOf(t0);
    expect(session.revokedAt).toBeNull();
    expect(await reuseEvents(session.id)).toBe(0);
    expect((await refreshOnce(client)).status).toBe(200);
  });

  it("raced against the successor's presentation (released together): nobody signed out", async () => {
    const { client, key } = await device();
    const t0 = client.refreshToken!;
    // The device's first request and its copies, all signed before it moved on.
    const copies = await Promise.all(Array.from({ length: 8 }, () => signedEarlier(key, 2)));
    expect((await refreshOnce(client)).status).toBe(200); // the retry that got through: T0 → T1
    const [successor, ...late] = await Promise.all([
      refreshOnce(client), // T1 presented: T1 → T2
      ...copies.map((proof) => presentWith(t0, proof)),
    ]);
    expect(successor!.status).toBe(200);
    // Each copy ran before T1 was presented (a grace sibling, which nobody reads) or after it.
    for (const copy of late) {
      if (copy.status !== 200) {
        expect(copy.status).toBe(409);
        expect(copy.body.error.code).toBe("refresh_token_superseded");
        expect(copy.setCookies).toEqual([]);
      }
    }
    const session = await sessionOf(t0);
    expect(session.revokedAt).toBeNull();
    expect(await reuseEvents(session.id)).toBe(0);
    expect((await refreshOnce(client)).status).toBe(200);
    // And once T2 was presented too, every copy left is superseded.
    const after = await Promise.all(copies.slice(0, 4).map(() => signedEarlier(key, 2)));
    const again = await Promise.all(after.map((proof) => presentWith(t0, proof)));
    expect(again.map((r) => r.body.error.code)).toEqual(Array(4).fill("refresh_token_superseded"));
    expect((await sessionOf(t0)).revokedAt).toBeNull();
  });

  it("an older ancestor's copy, signed before its successor was presented, is superseded too", async () => {
    const { client, key } = await device();
    const t0 = client.refreshToken!;
    const late = await signedEarlier(key, 3);
    await movedOnTwice(client);
    expect((await refreshOnce(client)).status).toBe(200);
    expect((await refreshOnce(client)).status).toBe(200);
    const res = await presentWith(t0, late);
    expect(res.body.error.code).toBe("refresh_token_superseded");
    expect((await sessionOf(t0)).revokedAt).toBeNull();
  });
});

describe("everything else that presents a spent token keeps the old verdict", () => {
  it("a proof by the session's key signed after the successor was presented: reuse, revoked", async () => {
    const { client, key } = await device();
    const t0 = await movedOnTwice(client);
    // Signed now: this device presents a token it had already moved on from.
    const res = await presentWith(t0, await key.proof("POST", REFRESH_URL));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("refresh_token_reused");
    const session = await sessionOf(t0);
    expect(session.revokeReason).toBe("refresh_token_reused");
    expect(await reuseEvents(session.id)).toBe(1);
    expect((await refreshOnce(client)).body.error.code).toBe("refresh_token_reused");
  });

  it("a proof by another key, however early its iat: dpop_key_mismatch, revoked", async () => {
    const { client, key } = await device();
    const t0 = await movedOnTwice(client);
    const thief = await TestDeviceKey.create();
    thief.nonce = key.nonce; // nonces are public
    const res = await presentWith(t0, await signedEarlier(thief, 30));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("dpop_key_mismatch");
    expect((await sessionOf(t0)).revokeReason).toBe("dpop_key_mismatch");
  });

  it("no proof: dpop_proof_required, nothing written", async () => {
    const { client } = await device();
    const t0 = await movedOnTwice(client);
    const before = await snapshotDatabase(db);
    const res = await presentWith(t0, null);
    expect(res.body.error.code).toBe("dpop_proof_required");
    expect(await snapshotDatabase(db)).toEqual(before);
    expect((await refreshOnce(client)).status).toBe(200);
  });

  it("a successor never presented, past the grace bound: reuse, revoked", async () => {
    const { client, key } = await device();
    const t0 = client.refreshToken!;
    expect((await refreshOnce(client)).status).toBe(200); // T1 issued, never presented
    await db.session.update({
      where: { id: (await sessionOf(t0)).id },
      data: { refreshGraceSeconds: 5 },
    });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 10_000);
    const res = await presentWith(t0, await signedEarlier(key, 8));
    expect(res.body.error.code).toBe("refresh_token_reused");
    expect((await sessionOf(t0)).revokeReason).toBe("refresh_token_reused");
  });

  it("DPOP_BINDING=off: an unbound session's late copy is reuse, and so is a bound one's", async () => {
    const bound = await device();
    const boundT0 = bound.client.refreshToken!;
    const boundLate = await signedEarlier(bound.key, 2);
    await movedOnTwice(bound.client);
    const restore = setEnv({ DPOP_BINDING: "off" });
    try {
      const plain = await device({ bound: false });
      const t0 = plain.client.refreshToken!;
      expect((await refreshOnce(plain.client, null)).status).toBe(200);
      expect((await refreshOnce(plain.client, null)).status).toBe(200);
      expect((await presentWith(t0, null)).body.error.code).toBe("refresh_token_reused");
      expect((await sessionOf(t0)).revokeReason).toBe("refresh_token_reused");
      // The switch is the old rule everywhere: a bound session's late copy revokes as well.
      expect((await presentWith(boundT0, boundLate)).body.error.code).toBe("refresh_token_reused");
      expect((await sessionOf(boundT0)).revokeReason).toBe("refresh_token_reused");
    } finally {
      restore();
    }
  });
});
