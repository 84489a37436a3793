/**
 * Attack suite: concurrent logins of one account from one address (issue 26, item 4).
 *
 * A login takes its throttle point in one statement and gives it back in another (with its new
 * session). Each statement locks several `rate_limits` rows; when two statements take them in
 * different orders, PostgreSQL finds a cycle and kills one of them (`deadlock detected`, SQLSTATE
 * 40P01): a correct login answered 503, and its point was never given back. Here the two statements
 * race directly (no password work in between, so the windows overlap as much as they can), then
 * correct logins race through the route. Every call is released together.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as register } from "@/app/api/auth/register/route";
import { startSession } from "@/lib/auth/sessions";
import { consumeLoginAttemptAndFindAccount } from "@/lib/auth/throttle";
import type { Db } from "@/lib/db/client";
import { deadlocksRetried } from "@/lib/db/retry";
import { TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
let db: Db;
let restoreEnv: () => void;

beforeAll(async () => {
  db = await useTestDatabase();
  restoreEnv = setEnv({ TRUST_PROXY: "1", HASH_CONCURRENCY: "2", HASH_QUEUE_LIMIT: "1000" });
});
afterAll(() => restoreEnv());

async function signedUp() {
  const email = uniqueEmail("deadlock");
  const res = await new TestClient().call(register, "/api/auth/register", {
    json: { email, password: PASSWORD },
  });
  expect(res.status).toBe(201);
  return email;
}

describe("a login's throttle point and its refund, racing", () => {
  it("200 consume/refund pairs on one account and one address, released together: none fails", async () => {
    const email = await signedUp();
    const ip = "203.0.113.120";
    const client = { userAgent: "race", ip };
    const failures: unknown[] = [];
    // Each "login" is its two statements back to back, as loginUser sends them, minus the hash.
    const oneLogin = async () => {
      try {
        const consumed = await consumeLoginAttemptAndFindAccount({
          email,
          ip,
          deviceId: null,
        }).catch((error) => {
          if ((error as { status?: number }).status === 429) return null;
          throw error;
        });
        if (consumed?.account) {
          await startSession(consumed.account.id, client, undefined, consumed.refund);
        }
      } catch (error) {
        failures.push(error);
      }
    };
    const deadlocksBefore = deadlocksRetried();
    await Promise.all(Array.from({ length: 200 }, oneLogin));
    expect(failures.map((e) => String((e as Error).message ?? e))).toEqual([]);
    // Not one, not even one that its single retry (lib/db/retry.ts) then hid.
    expect(deadlocksRetried()).toBe(deadlocksBefore);
    // Every admitted attempt was refunded and no refused one was counted: all back to zero.
    const counters = await db.rateLimit.findMany({
      where: { key: { in: [`login:account:${email}`, `login:ip:${ip}`] } },
    });
    expect(counters.map((c) => c.points)).toEqual([0, 0]);
  });

  it("30 correct logins of one account from one address, released together: none fails, none is left counted", async () => {
    const email = await signedUp();
    const ip = "203.0.113.121";
    const signIn = () =>
      new TestClient().call(login, "/api/auth/login", {
        json: { email, password: PASSWORD },
        headers: { "x-forwarded-for": ip },
      });
    const deadlocksBefore = deadlocksRetried();
    const results = await Promise.all(Array.from({ length: 30 }, signIn));
    // 429 is honest here (more simultaneous logins than the per-pair limit are in flight at once,
    // SECURITY.md); a 503 is a statement PostgreSQL killed.
    for (const res of results) expect([200, 429]).toContain(res.status);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(deadlocksRetried()).toBe(deadlocksBefore);
    // No point of a correct password was left behind: the next login is not throttled.
    expect((await signIn()).status).toBe(200);
    const counters = await db.rateLimit.findMany({
      where: { key: { in: [`login:account:${email}`, `login:ip:${ip}`] } },
    });
    expect(counters.map((c) => c.points)).toEqual([0, 0]);
  });
});
