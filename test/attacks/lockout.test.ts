/**
 * Attack suite: an attacker who cannot sign in must not be able to stop anyone else (issue 26,
 * items 2 and 3).
 *
 * - A refused attempt counts nowhere else: an address over its own limit cannot go on to use up
 *   a victim's per-account limit for free.
 * - A browser that has signed in before (its device cookie) is not held by its account's lock.
 * - A signed-in owner's password change is limited per session, never by the login counters.
 * - IPv6 clients are counted by their /64, IPv4-mapped IPv6 as IPv4: rotating addresses inside
 *   one network gains nothing.
 * Every burst is released together (Promise.all of real route-handler calls, real database).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as changePassword } from "@/app/api/auth/password/route";
import { POST as register } from "@/app/api/auth/register/route";
import { GET as whoami } from "@/app/api/whoami/route";
import { getHashPool } from "@/lib/auth/hash-pool";
import { LOGIN_LIMITS, REGISTRATION_LIMITS } from "@/lib/auth/throttle";
import type { Db } from "@/lib/db/client";
import { type CallResult, TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
let db: Db;
let restoreEnv: () => void;

beforeAll(async () => {
  db = await useTestDatabase();
  restoreEnv = setEnv({ TRUST_PROXY: "1", HASH_CONCURRENCY: "2", HASH_QUEUE_LIMIT: "1000" });
});
afterAll(() => restoreEnv());

async function signedUp(ip = "192.0.2.1") {
  const email = uniqueEmail("lockout");
  const res = await new TestClient().call(register, "/api/auth/register", {
    json: { email, password: PASSWORD },
    headers: { "x-forwarded-for": ip },
  });
  expect(res.status).toBe(201);
  return { email, accessToken: res.body.accessToken as string, device: deviceCookie(res) };
}

/** The `name=value` of the device cookie a response set (lib/auth/device-cookie.ts). */
function deviceCookie(res: CallResult): string {
  const line = res.setCookies.find((l) => /^(__Secure-)?device_[0-9a-f]{16}=/.test(l));
  if (!line) throw new Error(`no device cookie in ${JSON.stringify(res.setCookies)}`);
  return line.split(";")[0]!;
}

const attempt = (email: string, password: string, ip: string | null, cookie?: string) =>
  new TestClient().call(login, "/api/auth/login", {
    json: { email, password },
    headers: { ...(ip ? { "x-forwarded-for": ip } : {}), ...(cookie ? { cookie } : {}) },
  });

async function countingHashes<T>(race: () => Promise<T>): Promise<{ results: T; hashed: number }> {
  const before = getHashPool().stats().completed;
  const results = await race();
  return { results, hashed: getHashPool().stats().completed - before };
}

const statuses = (results: CallResult[]) => {
  const byStatus: Record<number, number> = {};
  for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  return byStatus;
};

const points = async (key: string) =>
  (await db.rateLimit.findUnique({ where: { key } }))?.points ?? 0;

/** Uses up the per-account limit from many addresses (the attacker's botnet). */
async function lockAccount(email: string, network: string) {
  const guesses = await Promise.all(
    Array.from({ length: LOGIN_LIMITS.account.points + 5 }, (_, i) =>
      attempt(email, `guess ${i}`, `${network}.${i + 1}`),
    ),
  );
  expect(statuses(guesses)).toEqual({
    401: LOGIN_LIMITS.account.points,
    429: 5,
  });
}

describe("a refused attempt is counted by no other limit", () => {
  it("an address past its per-pair limit sends 40 more guesses at once: the account's counter does not move", async () => {
    const { email } = await signedUp();
    const attacker = "203.0.113.150";
    for (let i = 0; i < LOGIN_LIMITS.accountAndAddress.points; i++) {
      expect((await attempt(email, `guess ${i}`, attacker)).status).toBe(401);
    }
    const { results, hashed } = await countingHashes(() =>
      Promise.all(Array.from({ length: 40 }, (_, i) => attempt(email, `more ${i}`, attacker))),
    );
    expect(statuses(results)).toEqual({ 429: 40 });
    expect(hashed).toBe(0);
    expect(await points(`login:account:${email}`)).toBe(LOGIN_LIMITS.accountAndAddress.points);
    // So the owner, from any browser and any other address, is not locked out.
    expect((await attempt(email, PASSWORD, "192.0.2.150")).status).toBe(200);
  });

  it("an address past its per-address limit cannot lock out a victim it never guessed at", async () => {
    const { email } = await signedUp();
    const attacker = "203.0.113.151";
    // Credential stuffing until the address is refused.
    const stuffing = await Promise.all(
      Array.from({ length: LOGIN_LIMITS.address.points + 10 }, () =>
        attempt(uniqueEmail("stuffed"), "password1", attacker),
      ),
    );
    expect(statuses(stuffing)).toEqual({ 401: LOGIN_LIMITS.address.points, 429: 10 });
    // Then 30 guesses at the victim, no hashing at all: every one refused, none counted, and not
    // a row written for them (not even an empty counter).
    const rowsBefore = await db.rateLimit.count();
    const { results, hashed } = await countingHashes(() =>
      Promise.all(Array.from({ length: 30 }, (_, i) => attempt(email, `guess ${i}`, attacker))),
    );
    expect(statuses(results)).toEqual({ 429: 30 });
    expect(hashed).toBe(0);
    expect(await points(`login:account:${email}`)).toBe(0);
    expect(await db.rateLimit.count()).toBe(rowsBefore);
    expect((await attempt(email, PASSWORD, "192.0.2.151")).status).toBe(200);
  });
});

describe("device cookies: the owner's own browser is not held by the account's lock", () => {
  it("after guesses from 25 addresses lock the account, the owner's browser still signs in; a new browser waits", async () => {
    const { email, device } = await signedUp();
    await lockAccount(email, "198.18.40");
    expect((await attempt(email, PASSWORD, "192.0.2.160")).status).toBe(429);
    const own = await attempt(email, PASSWORD, "192.0.2.160", device);
    expect(own.status).toBe(200);
    // A correct password renews the cookie, under the same name, with a new device id.
    const renewed = deviceCookie(own);
    expect(renewed.split("=")[0]).toBe(device.split("=")[0]);
    expect(renewed).not.toBe(device);
    expect((await attempt(email, PASSWORD, "192.0.2.160", renewed)).status).toBe(200);
  });

  it("the device's own counter: 20 simultaneous wrong guesses with the cookie, at most 5 checked, then even the right one waits", async () => {
    const { email, device } = await signedUp();
    const { results, hashed } = await countingHashes(() =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) => attempt(email, `guess ${i}`, "192.0.2.161", device)),
      ),
    );
    expect(hashed).toBe(LOGIN_LIMITS.device.points);
    expect(statuses(results)).toEqual({ 401: hashed, 429: 20 - hashed });
    expect((await attempt(email, PASSWORD, "192.0.2.161", device)).status).toBe(429);
    // Counted on the device alone: the account and the address are untouched.
    expect(await points(`login:account:${email}`)).toBe(0);
    expect(await points("login:ip:192.0.2.161")).toBe(0);
    expect((await attempt(email, PASSWORD, "192.0.2.161")).status).toBe(200);
  });

  it("another account's cookie, a tampered one, or one sent under the wrong name counts for nothing", async () => {
    const victim = await signedUp();
    const other = await signedUp();
    await lockAccount(victim.email, "198.18.41");
    const [, otherValue] = other.device.split("=");
    const [victimName, victimValue] = victim.device.split("=") as [string, string];
    const tampered = `${victimName}=${victimValue.slice(0, -3)}${victimValue.endsWith("A") ? "B" : "A"}xx`;
    for (const cookie of [other.device, `${victimName}=${otherValue}`, tampered]) {
      const res = await attempt(victim.email, PASSWORD, "192.0.2.162", cookie);
      expect(res.status).toBe(429);
    }
    expect((await attempt(victim.email, PASSWORD, "192.0.2.162", victim.device)).status).toBe(200);
  });

  it("the cookie is httpOnly, SameSite=Strict, sent to the login route only, and names no email", async () => {
    const { email } = await signedUp();
    const res = await attempt(email, PASSWORD, "192.0.2.163");
    const line = res.setCookies.find((l) => /device_/.test(l))!;
    expect(line).toMatch(/; HttpOnly/i);
    expect(line).toMatch(/; SameSite=Strict/i);
    expect(line).toMatch(/; Path=\/api\/auth\/login(;|$)/i);
    expect(line).toMatch(/; Secure/i);
    expect(line.toLowerCase()).not.toContain(email.split("@")[0]!.toLowerCase());
    const payload = JSON.parse(
      Buffer.from(deviceCookie(res).split("=")[1]!.split(".")[1]!, "base64url").toString(),
    );
    expect(JSON.stringify(payload)).not.toContain(email);
    // HMAC with a server secret, not the JWKS's keys: never usable as an access token.
    const token = deviceCookie(res).split("=")[1]!;
    expect(JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString())).toMatchObject({
      alg: "HS256",
      typ: "device+jwt",
    });
    const asBearer = await new TestClient().call(whoami, "/api/whoami", { bearer: token });
    expect(asBearer.status).toBe(401);
    expect(asBearer.body.error.code).toBe("token_invalid");
  });
});

describe("password change is limited per session, not by the login counters", () => {
  it("the owner changes their password while guesses from 25 addresses hold the account's lock", async () => {
    const { email, accessToken } = await signedUp();
    await lockAccount(email, "198.18.42");
    const res = await new TestClient().call(changePassword, "/api/auth/password", {
      json: { currentPassword: PASSWORD, newPassword: "a brand new passphrase" },
      bearer: accessToken,
      headers: { "x-forwarded-for": "192.0.2.170" },
    });
    expect(res.status).toBe(200);
  });
});

describe("IPv6: one client is one /64", () => {
  const inNetwork = (i: number) => `2001:db8:7:9:${(i + 1).toString(16)}:ab:cd:ef`;

  it("60 credential-stuffing guesses from 60 addresses of one /64: only the per-address limit's 50 are checked", async () => {
    const { results, hashed } = await countingHashes(() =>
      Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          attempt(uniqueEmail("stuffed6"), "password1", inNetwork(i)),
        ),
      ),
    );
    expect(hashed).toBe(LOGIN_LIMITS.address.points);
    expect(statuses(results)).toEqual({ 401: LOGIN_LIMITS.address.points, 429: 10 });
    expect(await points("login:ip:2001:db8:7:9::/64")).toBe(LOGIN_LIMITS.address.points);
    // The next /64 is another client.
    expect((await attempt(uniqueEmail("stuffed6"), "x", "2001:db8:7:a::1")).status).toBe(401);
  });

  it("guesses at one account from one /64, one address each: the per-pair limit holds", async () => {
    const { email } = await signedUp();
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        attempt(email, `guess ${i}`, `2001:db8:8:1::${(i + 1).toString(16)}`),
      ),
    );
    expect(statuses(guesses)).toEqual({ 401: LOGIN_LIMITS.accountAndAddress.points, 429: 7 });
  });

  it("25 registrations from 25 addresses of one /64: 20 accounts, then 429", async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        new TestClient().call(register, "/api/auth/register", {
          json: { email: uniqueEmail("reg6"), password: PASSWORD },
          headers: { "x-forwarded-for": `2001:db8:9:2:${(i + 1).toString(16)}::1` },
        }),
      ),
    );
    expect(statuses(results)).toEqual({ 201: REGISTRATION_LIMITS.address.points, 429: 5 });
  });

  it("an IPv4-mapped IPv6 address is its IPv4 address", async () => {
    const { email } = await signedUp();
    for (let i = 0; i < LOGIN_LIMITS.accountAndAddress.points; i++) {
      const ip = i % 2 ? "198.51.100.77" : "::ffff:198.51.100.77";
      expect((await attempt(email, `guess ${i}`, ip)).status).toBe(401);
    }
    expect((await attempt(email, PASSWORD, "198.51.100.77")).status).toBe(429);
    expect((await attempt(email, PASSWORD, "::ffff:c633:644d")).status).toBe(429);
  });

  it("THROTTLE_IPV6_PREFIX=48 counts a whole site as one client", async () => {
    const restore = setEnv({ THROTTLE_IPV6_PREFIX: "48" });
    try {
      const { email } = await signedUp();
      const guesses = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          attempt(email, `guess ${i}`, `2001:db8:a:${(i + 1).toString(16)}::1`),
        ),
      );
      expect(statuses(guesses)).toEqual({ 401: LOGIN_LIMITS.accountAndAddress.points, 429: 3 });
    } finally {
      restore();
    }
  });
});
