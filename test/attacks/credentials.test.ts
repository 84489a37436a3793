/**
 * Attack suite: credentials. Account enumeration through answers and timing,
 * online guessing (throttled per account and per address, 429 + Retry-After,
 * with the counters in the database so every app instance shares them).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as register } from "@/app/api/auth/register/route";
import { LOGIN_LIMITS } from "@/lib/auth/throttle";
import type { Db } from "@/lib/db/client";
import { TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
let db: Db;
let restoreEnv: () => void;

beforeAll(async () => {
  db = await useTestDatabase();
  restoreEnv = setEnv({ TRUST_PROXY: "1" });
});
afterAll(() => restoreEnv());

async function account() {
  const email = uniqueEmail("cred");
  await new TestClient().call(register, "/api/auth/register", {
    json: { email, password: PASSWORD },
  });
  return email;
}
const attempt = (email: string, password: string, ip = "203.0.113.7") =>
  new TestClient().call(login, "/api/auth/login", {
    json: { email, password },
    // A spoofed entry first, the address the proxy appended last.
    headers: { "x-forwarded-for": `10.0.0.1, ${ip}` },
  });

describe("account enumeration", () => {
  it("answers an unknown email and a wrong password with the same status, body and headers", async () => {
    const email = await account();
    const wrong = await attempt(email, "wrong password", "198.51.100.1");
    const unknown = await attempt(uniqueEmail("ghost"), "wrong password", "198.51.100.2");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
    expect([...unknown.headers.keys()].sort()).toEqual([...wrong.headers.keys()].sort());
  });

  it("costs about as much for an unknown email as for a wrong password (both hash once)", async () => {
    const email = await account();
    // CPU time of this process (every thread: the hash runs off the main thread), not the wall
    // clock: what an attacker's stopwatch reads on an idle server, without the noise a busy
    // build machine adds to wall time. One test file runs at a time (vitest.config.mts).
    const time = async (target: string, ip: string) => {
      const started = process.cpuUsage();
      await attempt(target, "wrong password", ip);
      const spent = process.cpuUsage(started);
      return spent.user + spent.system;
    };
    const median = (values: number[]) =>
      values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      wrong.push(await time(email, `198.51.100.${10 + i}`));
      unknown.push(await time(uniqueEmail("ghost"), `198.51.100.${20 + i}`));
    }
    const ratio = median(unknown) / median(wrong);
    // An unknown email that skipped the hash would answer in well under a third of the time.
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe("throttling", () => {
  const perPair = LOGIN_LIMITS.accountAndAddress.points;

  it(`locks an account from one address after ${perPair} failures, with Retry-After`, async () => {
    // The counters are rows of `rate_limits` (no state in the process), so every instance
    // sharing the database shares them; test/attacks/throttle-races.test.ts races them.
    const email = await account();
    for (let i = 0; i < perPair; i++) {
      expect((await attempt(email, `guess ${i}`)).status).toBe(401);
    }
    const blocked = await attempt(email, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe("too_many_attempts");
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(LOGIN_LIMITS.accountAndAddress.durationSeconds);
    expect(blocked.body.error.message).not.toMatch(/password is incorrect|unknown/i);
  });

  it("does not lock the owner out from another address", async () => {
    const email = await account();
    for (let i = 0; i < perPair; i++) await attempt(email, `guess ${i}`, "203.0.113.50");
    expect((await attempt(email, PASSWORD, "203.0.113.50")).status).toBe(429);
    expect((await attempt(email, PASSWORD, "192.0.2.80")).status).toBe(200);
  });

  it("throttles unknown emails exactly like real ones", async () => {
    const ghost = uniqueEmail("ghost");
    for (let i = 0; i < perPair; i++) await attempt(ghost, `guess ${i}`, "203.0.113.60");
    const res = await attempt(ghost, "anything", "203.0.113.60");
    expect(res.status).toBe(429);
  });

  it(`caps guesses at one account from many addresses (${LOGIN_LIMITS.account.points} per hour)`, async () => {
    const email = await account();
    for (let i = 0; i < LOGIN_LIMITS.account.points; i++) {
      await attempt(email, `guess ${i}`, `198.18.${Math.floor(i / 200)}.${i % 200}`);
    }
    expect((await attempt(email, PASSWORD, "198.18.9.9")).status).toBe(429);
  });

  it("clears the per-address count after a successful login", async () => {
    const email = await account();
    for (let i = 0; i < perPair - 1; i++) await attempt(email, `guess ${i}`, "203.0.113.70");
    expect((await attempt(email, PASSWORD, "203.0.113.70")).status).toBe(200);
    for (let i = 0; i < perPair - 1; i++) await attempt(email, `again ${i}`, "203.0.113.70");
    expect((await attempt(email, PASSWORD, "203.0.113.70")).status).toBe(200);
    expect(await db.rateLimit.count({ where: { key: { contains: email } } })).toBeGreaterThan(0);
  });
});
