/**
 * Attack suite: guessing passwords in parallel (issue 11, items 1 and 2).
 *
 * An attacker does not wait for one guess's answer before sending the next: every guess here is
 * released together (Promise.all of real route-handler calls on the real database). What is
 * counted is the password work actually performed, read from this process's hash pool
 * (lib/auth/hash-pool.ts: every verification, the dummy one for unknown emails included, is one
 * completed job there), not the answers, so a guess that was checked and then answered 429
 * would still be caught.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as changePassword } from "@/app/api/auth/password/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { DELETE as revokeOne } from "@/app/api/auth/sessions/[id]/route";
import { DELETE as revokeAll } from "@/app/api/auth/sessions/route";
import { getHashPool } from "@/lib/auth/hash-pool";
import { LOGIN_LIMITS, PASSWORD_CHANGE_LIMITS } from "@/lib/auth/throttle";
import { verifyAccessToken } from "@/lib/auth/tokens";
import type { Db } from "@/lib/db/client";
import { type CallResult, TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a brand new passphrase";
let db: Db;
let restoreEnv: () => void;

beforeAll(async () => {
  db = await useTestDatabase();
  // Addresses are known (behind a trusted proxy); the pool is large enough that no guess here
  // is refused for being busy, so every answer is the throttle's.
  restoreEnv = setEnv({ TRUST_PROXY: "1", HASH_CONCURRENCY: "2", HASH_QUEUE_LIMIT: "1000" });
});
afterAll(() => restoreEnv());

async function signedUp() {
  const email = uniqueEmail("race");
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email, password: PASSWORD },
  });
  expect(res.status).toBe(201);
  return { email, client, accessToken: res.body.accessToken as string };
}

const guess = (email: string, password: string, ip: string | null) =>
  new TestClient().call(login, "/api/auth/login", {
    json: { email, password },
    headers: ip ? { "x-forwarded-for": ip } : {},
  });

/** Runs `race` and returns its results with the number of hash jobs it performed. */
async function countingHashes<T>(race: () => Promise<T>): Promise<{ results: T; hashed: number }> {
  const before = getHashPool().stats().completed;
  const results = await race();
  return { results, hashed: getHashPool().stats().completed - before };
}

function tally(results: CallResult[]) {
  const byStatus: Record<number, number> = {};
  for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  return byStatus;
}

function expectThrottled(res: CallResult<any>) {
  expect(res.status).toBe(429);
  expect(res.body.error.code).toBe("too_many_attempts");
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
}

describe("parallel login guesses: consume first", () => {
  it("40 simultaneous wrong guesses from one address: at most 5 are checked, the rest get 429", async () => {
    const { email } = await signedUp();
    const limit = LOGIN_LIMITS.accountAndAddress.points;
    const { results, hashed } = await countingHashes(() =>
      Promise.all(Array.from({ length: 40 }, (_, i) => guess(email, `guess ${i}`, "203.0.113.9"))),
    );
    expect(hashed).toBeLessThanOrEqual(limit);
    expect(tally(results)).toEqual({ 401: hashed, 429: 40 - hashed });
    for (const r of results.filter((r) => r.status === 429)) expectThrottled(r);
    // The right password is refused now too, from this address, without being checked.
    const { results: right, hashed: checked } = await countingHashes(() =>
      guess(email, PASSWORD, "203.0.113.9"),
    );
    expectThrottled(right);
    expect(checked).toBe(0);
  });

  it("the right password hidden among 60 parallel guesses from 60 addresses is checked only within the per-account limit", async () => {
    const { email } = await signedUp();
    const limit = LOGIN_LIMITS.account.points;
    const passwords = Array.from({ length: 60 }, (_, i) => (i === 45 ? PASSWORD : `guess ${i}`));
    const { results, hashed } = await countingHashes(() =>
      Promise.all(passwords.map((p, i) => guess(email, p, `198.18.7.${i + 1}`))),
    );
    expect(hashed).toBeLessThanOrEqual(limit);
    const byStatus = tally(results);
    expect((byStatus[401] ?? 0) + (byStatus[200] ?? 0)).toBe(hashed);
    expect(byStatus[429]).toBe(60 - hashed);
    const counter = await db.rateLimit.findUniqueOrThrow({
      where: { key: `login:account:${email}` },
    });
    // Every admitted attempt took its point (a success gave its own back); a refused one took
    // none (lib/auth/throttle.ts, all or nothing).
    expect(counter.points).toBe(hashed - (byStatus[200] ?? 0));
  });

  it("without a trusted proxy, 30 simultaneous guesses still stop at the per-account limit", async () => {
    const { email } = await signedUp();
    const restore = setEnv({ TRUST_PROXY: "0" });
    try {
      const { results, hashed } = await countingHashes(() =>
        Promise.all(Array.from({ length: 30 }, (_, i) => guess(email, `guess ${i}`, null))),
      );
      expect(hashed).toBeLessThanOrEqual(LOGIN_LIMITS.account.points);
      expect(tally(results)).toEqual({ 401: hashed, 429: 30 - hashed });
    } finally {
      restore();
    }
  });

  it("unknown emails are counted alike: 30 simultaneous guesses, at most 5 dummy verifications", async () => {
    const ghost = uniqueEmail("ghost");
    const { results, hashed } = await countingHashes(() =>
      Promise.all(Array.from({ length: 30 }, (_, i) => guess(ghost, `guess ${i}`, "203.0.113.33"))),
    );
    expect(hashed).toBeLessThanOrEqual(LOGIN_LIMITS.accountAndAddress.points);
    expect(tally(results)).toEqual({ 401: hashed, 429: 30 - hashed });
  });

  it("a successful login gives its points back, so an owner who signs in often is never throttled", async () => {
    const { email } = await signedUp();
    // One after another, as a person signs in (parallel attempts all hold a point while in flight).
    for (let i = 0; i < LOGIN_LIMITS.accountAndAddress.points + 3; i++) {
      expect((await guess(email, PASSWORD, "203.0.113.44")).status).toBe(200);
    }
    const counter = await db.rateLimit.findUniqueOrThrow({
      where: { key: `login:account:${email}` },
    });
    expect(counter.points).toBe(0);
  });
});

describe("password change is no oracle", () => {
  it("20 simultaneous wrong current passwords with a stolen access token: at most 5 are checked, per session, and the login form is untouched", async () => {
    const { email, accessToken } = await signedUp();
    const { results, hashed } = await countingHashes(() =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          new TestClient().call(changePassword, "/api/auth/password", {
            json: { currentPassword: `guess ${i}`, newPassword: NEW_PASSWORD },
            bearer: accessToken,
            headers: { "x-forwarded-for": "203.0.113.66" },
          }),
        ),
      ),
    );
    expect(hashed).toBeLessThanOrEqual(PASSWORD_CHANGE_LIMITS.session.points);
    expect(tally(results)).toEqual({ 403: hashed, 429: 20 - hashed });
    for (const r of results.filter((r) => r.status === 429)) expectThrottled(r);
    // The session's own counter, not the login's: the owner still signs in from that address.
    expect((await guess(email, PASSWORD, "203.0.113.66")).status).toBe(200);
  });

  it("refuses an access token whose session was revoked (password change, revoke one, log out everywhere)", async () => {
    const { client, email, accessToken } = await signedUp();
    const { sid } = await verifyAccessToken(accessToken);
    const other = await guess(email, PASSWORD, "192.0.2.10");
    const otherSid = (await verifyAccessToken(other.body.accessToken)).sid;
    await db.session.update({
      where: { id: sid },
      data: { revokedAt: new Date(), revokeReason: "logout" },
    });

    const before = getHashPool().stats().completed;
    const change = await client.call(changePassword, "/api/auth/password", {
      json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      bearer: accessToken,
    });
    const one = await client.call(revokeOne, `/api/auth/sessions/${otherSid}`, {
      method: "DELETE",
      bearer: accessToken,
      params: { id: otherSid },
    });
    const all = await client.call(revokeAll, "/api/auth/sessions", {
      method: "DELETE",
      bearer: accessToken,
    });
    for (const res of [change, one, all]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("session_revoked");
    }
    expect(getHashPool().stats().completed).toBe(before); // no password was even checked
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect((await guess(email, PASSWORD, "192.0.2.11")).status).toBe(200);
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    const survivor = await db.session.findUniqueOrThrow({ where: { id: otherSid } });
    expect(survivor.revokedAt).toBeNull();
  });

  it("refuses an access token whose session is idle-expired", async () => {
    const { client, accessToken } = await signedUp();
    const { sid } = await verifyAccessToken(accessToken);
    await db.session.update({
      where: { id: sid },
      data: { idleExpiresAt: new Date(Date.now() - 1000) },
    });
    const res = await client.call(changePassword, "/api/auth/password", {
      json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      bearer: accessToken,
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("session_revoked");
  });

  it("success ends every session, the caller's too: a thief who shares the caller's cookie is out", async () => {
    const { client, email, accessToken } = await signedUp();
    const thief = new TestClient("thief");
    thief.refreshToken = client.refreshToken;
    const laptop = new TestClient("laptop");
    await laptop.call(login, "/api/auth/login", { json: { email, password: PASSWORD } });

    const changed = await client.call(changePassword, "/api/auth/password", {
      json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      bearer: accessToken,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ user: { email }, revokedSessions: 1 });
    expect(typeof changed.body.accessToken).toBe("string");
    expect(changed.body.accessTokenExpiresIn).toBeGreaterThan(0);
    expect(client.refreshToken).not.toBe(thief.refreshToken);
    const newSid = (await verifyAccessToken(changed.body.accessToken)).sid;
    expect(newSid).not.toBe((await verifyAccessToken(accessToken)).sid);

    const thiefRefresh = await thief.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(thiefRefresh.body.error.code).toBe("session_revoked");
    const laptopRefresh = await laptop.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(laptopRefresh.body.error.code).toBe("session_revoked");
    // The old access token can no longer do sensitive things; the new one can.
    const stale = await thief.call(revokeAll, "/api/auth/sessions", {
      method: "DELETE",
      bearer: accessToken,
    });
    expect(stale.body.error.code).toBe("session_revoked");
    expect((await client.call(refresh, "/api/auth/refresh", { method: "POST" })).status).toBe(200);
  });

  it("two password changes racing from one session (owner and thief): exactly one wins", async () => {
    const { client, email, accessToken } = await signedUp();
    const [owner, thief] = await Promise.all([
      client.call(changePassword, "/api/auth/password", {
        json: { currentPassword: PASSWORD, newPassword: "owner's new passphrase" },
        bearer: accessToken,
      }),
      new TestClient("thief").call(changePassword, "/api/auth/password", {
        json: { currentPassword: PASSWORD, newPassword: "thief's new passphrase" },
        bearer: accessToken,
      }),
    ]);
    const statuses = [owner.status, thief.status].sort();
    expect(statuses).toEqual([200, 401]);
    const loser = owner.status === 401 ? owner : thief;
    expect(loser.body.error.code).toBe("session_revoked");
    const winnerPassword =
      owner.status === 200 ? "owner's new passphrase" : "thief's new passphrase";
    const live = await db.session.count({ where: { user: { email }, revokedAt: null } });
    expect(live).toBe(1);
    expect((await guess(email, winnerPassword, "192.0.2.90")).status).toBe(200);
  });
});

describe("counter rows", () => {
  it("ended windows are deleted an hour after they end, so guesses at unknown emails do not pile up", async () => {
    const old = await db.rateLimit.create({
      data: {
        key: `login:account:${uniqueEmail("old")}`,
        points: 3,
        expire: new Date(Date.now() - 2 * 3_600_000),
      },
    });
    const recent = await db.rateLimit.create({
      data: {
        key: `login:account:${uniqueEmail("recent")}`,
        points: 3,
        expire: new Date(Date.now() - 60_000),
      },
    });
    (globalThis as { __rateLimitCleanupAt?: number }).__rateLimitCleanupAt = undefined;
    expect((await guess(uniqueEmail("ghost"), "anything", "192.0.2.200")).status).toBe(401);
    expect(await db.rateLimit.findUnique({ where: { key: old.key } })).toBeNull();
    expect(await db.rateLimit.findUnique({ where: { key: recent.key } })).not.toBeNull();
  });
});
