/**
 * Attack suite: unbounded password-hash work (issue 11, item 4).
 *
 * Every registration costs an argon2id hash. Forty of them released together, from forty
 * addresses (a botnet passes any per-address limit), must not starve a real user's login: the
 * hash pool (lib/auth/hash-pool.ts) admits a bounded number of requests when they start (sign-ups
 * only half of the line), runs at most HASH_CONCURRENCY hashes, serves sign-ins first, and
 * refuses the rest at once, before any database work, with 503 `server_busy`. Registration itself is rate-limited: per address behind a trusted proxy, per
 * instance without one.
 *
 * Timing is printed, never asserted (the machine is shared): the test prints the login's latency
 * during the flood against its quiet latency. What it asserts is the mechanism.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as register } from "@/app/api/auth/register/route";
import { getHashPool } from "@/lib/auth/hash-pool";
import { REGISTRATION_LIMITS } from "@/lib/auth/throttle";
import type { Db } from "@/lib/db/client";
import { type CallResult, TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
const CONCURRENCY = 2;
const QUEUE_LIMIT = 8;
let db: Db;
let restoreEnv: () => void;

beforeAll(async () => {
  db = await useTestDatabase();
  restoreEnv = setEnv({
    TRUST_PROXY: "1",
    HASH_CONCURRENCY: String(CONCURRENCY),
    HASH_QUEUE_LIMIT: String(QUEUE_LIMIT),
  });
});
afterAll(() => restoreEnv());

const signUp = (email: string, ip: string | null, password = PASSWORD) =>
  new TestClient().call(register, "/api/auth/register", {
    json: { email, password },
    headers: ip ? { "x-forwarded-for": ip } : {},
  });

const signIn = (email: string, ip: string) =>
  new TestClient().call(login, "/api/auth/login", {
    json: { email, password: PASSWORD },
    headers: { "x-forwarded-for": ip },
  });

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

function expectBusy(res: CallResult<any>) {
  expect(res.status).toBe(503);
  expect(res.body.error.code).toBe("server_busy");
  expect(res.headers.get("retry-after")).toBe("1");
}

describe("a registration flood", () => {
  it("40 concurrent registrations: hashing stays within its bounds, the excess gets 503 at once, and a real login is served", async () => {
    const email = uniqueEmail("real");
    expect((await signUp(email, "192.0.2.1")).status).toBe(201);
    const quiet: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { result, ms } = await timed(() => signIn(email, "192.0.2.2"));
      expect(result.status).toBe(200);
      quiet.push(ms);
    }

    const pool = getHashPool();
    expect(pool.concurrency).toBe(CONCURRENCY);
    const during: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = pool.stats();
      const usersBefore = await db.user.count();
      const flood = Array.from({ length: 40 }, (_, i) =>
        signUp(uniqueEmail("flood"), `198.51.${100 + round}.${i + 1}`, `flood password ${i}`),
      );
      // The login is sent once the flood has filled the sign-up half of the line.
      await vi.waitFor(
        () => {
          const { waiting, refused } = pool.stats();
          if (waiting < QUEUE_LIMIT / 2 && refused === before.refused) throw new Error("not yet");
        },
        { timeout: 60_000, interval: 2 },
      );
      const { result, ms } = await timed(() => signIn(email, "192.0.2.2"));
      const results = await Promise.all(flood);

      // Not starved: the login is answered, and not with a 503, while the line is full of sign-ups.
      expect(result.status).toBe(200);
      during.push(ms);
      const created = results.filter((r) => r.status === 201);
      const busy = results.filter((r) => r.status !== 201);
      for (const res of busy) expectBusy(res);
      expect(busy.length).toBeGreaterThan(0);
      const after = pool.stats();
      expect(after.refused - before.refused).toBe(busy.length);
      // The bounds held all along.
      expect(after.maxRunning).toBeLessThanOrEqual(CONCURRENCY);
      expect(after.maxWaiting).toBeLessThanOrEqual(QUEUE_LIMIT);
      expect(after.maxAdmitted).toBeLessThanOrEqual(CONCURRENCY + QUEUE_LIMIT);
      // A refused registration wrote nothing, and did not use up its address's registrations.
      expect(await db.user.count()).toBe(usersBefore + created.length);
      const refusedAddresses = results.flatMap((r, i) =>
        r.status === 503 ? [`register:ip:198.51.${100 + round}.${i + 1}`] : [],
      );
      const counted = await db.rateLimit.findMany({ where: { key: { in: refusedAddresses } } });
      expect(counted.filter((row) => row.points > 0)).toEqual([]);
      console.log(
        `[hash-flood] round ${round + 1}: ${created.length} created, ${busy.length} × 503`,
      );
    }

    const median = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
    console.log(
      `[hash-flood] login median quiet ${median(quiet).toFixed(0)} ms, during a flood of 40 registrations ` +
        `${median(during).toFixed(0)} ms: ${(median(during) / median(quiet)).toFixed(1)}× (target ≤ 4×)`,
    );
  });
});

describe("registration rate limits", () => {
  it(`behind a trusted proxy: ${REGISTRATION_LIMITS.address.points} per address per hour, even when sent all at once`, async () => {
    const restore = setEnv({ HASH_QUEUE_LIMIT: "1000" });
    try {
      const limit = REGISTRATION_LIMITS.address.points;
      const results = await Promise.all(
        Array.from({ length: limit + 5 }, () => signUp(uniqueEmail("burst"), "203.0.113.77")),
      );
      const throttled = results.filter((r) => r.status === 429);
      expect(results.filter((r) => r.status === 201)).toHaveLength(limit);
      expect(throttled).toHaveLength(5);
      for (const res of throttled) {
        expect(res.body.error.code).toBe("too_many_attempts");
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      }
      // Another address is not affected.
      expect((await signUp(uniqueEmail("burst"), "203.0.113.78")).status).toBe(201);
    } finally {
      restore();
    }
  });

  it("without a trusted proxy: REGISTRATION_LIMIT_PER_MINUTE per instance", async () => {
    const restore = setEnv({
      TRUST_PROXY: "0",
      HASH_QUEUE_LIMIT: "1000",
      REGISTRATION_LIMIT_PER_MINUTE: "3",
    });
    (globalThis as { __registrationWindow?: unknown }).__registrationWindow = undefined;
    try {
      const results = await Promise.all(
        Array.from({ length: 7 }, () => signUp(uniqueEmail("instance"), null)),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429, 429, 429]);
      const throttled = results.find((r) => r.status === 429)!;
      expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(Number(throttled.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    } finally {
      (globalThis as { __registrationWindow?: unknown }).__registrationWindow = undefined;
      restore();
    }
  });
});
