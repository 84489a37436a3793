/**
 * Instant revocation (lib/auth/revocation.ts): a revoked session's access
 * token is refused within a second, by the instance that revoked it and by
 * any other, with no database read on the normal path; and nothing is missed
 * while an instance cannot listen.
 *
 * Runs on whichever database the suite runs on: on PGlite the "instances" are
 * separate listener objects on the one embedded database (PGlite's in-process
 * LISTEN); on PostgreSQL each has its own listening connection, and the drop
 * is a real `pg_terminate_backend` of that connection.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { POST as register } from "@/app/api/auth/register/route";
import { DELETE as logoutEverywhere } from "@/app/api/auth/sessions/route";
import { GET as me } from "@/app/api/me/route";
import {
  REVOCATION_CHANNEL,
  type RevocationFeed,
  RevocationListener,
  type RevocationSource,
  getRevocationListener,
  pgliteRevocationSource,
  postgresRevocationSource,
} from "@/lib/auth/revocation";
import { revokeSessionFamily } from "@/lib/auth/sessions";
import { chooseDatabase } from "@/lib/db/adapter";
import type { Db } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { TestClient, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
/** The bound the issue promises; polls end here, they do not sleep. */
const BOUND_MS = 1000;

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { sid: string };

async function signUp() {
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail("revoke"), password: PASSWORD },
  });
  expect(res.status).toBe(201);
  const accessToken = res.body.accessToken as string;
  return { client, accessToken, sessionId: claimsOf(accessToken).sid };
}

/** Polls `check` until it returns true or the deadline passes; returns the elapsed ms. */
async function within(deadlineMs: number, check: () => boolean | Promise<boolean>) {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > deadlineMs) {
      throw new Error(`condition not met within ${deadlineMs} ms`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const refuses = (listener: RevocationListener, sessionId: string) =>
  listener.assertSessionLive(sessionId).then(
    () => false,
    (error: { code?: string }) => {
      expect(error.code).toBe("session_revoked");
      return true;
    },
  );

/** A fallback that counts how often the database was asked (it must not be, while LIVE). */
function countingFallback() {
  const calls: string[] = [];
  return {
    calls,
    isSessionLive: async (sessionId: string) => {
      calls.push(sessionId);
      const row = await db.session.findUnique({ where: { id: sessionId } });
      return row !== null && row.revokedAt === null;
    },
  };
}

const quietLog = { info: () => {}, warn: () => {} };

let db: Db;
let databaseUrl: string | null;
let admin: pg.Client | null = null;
const listeners: RevocationListener[] = [];

beforeAll(async () => {
  db = await useTestDatabase();
  databaseUrl = inject("testDatabaseUrl");
  if (databaseUrl) {
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
  }
});
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.stop()));
  await admin?.end();
});

/** A real source for the suite's database; on PostgreSQL each gets its own application_name. */
function realSource(name: string): RevocationSource {
  const target = chooseDatabase(getEnv());
  return target.kind === "postgres"
    ? postgresRevocationSource(target.url, `jwt-revocation-test-${name}-${process.pid}`)
    : pgliteRevocationSource(target.dataDir);
}

/**
 * The real source, plus a way to break its current subscription as a dead
 * connection would: on PostgreSQL by terminating the listening backend, on
 * PGlite (which has no connection to lose) by closing the subscription and
 * reporting the drop, which is exactly what the `pg` client's error event does.
 */
function breakableSource(name: string) {
  const inner = realSource(name);
  let current: { feed: RevocationFeed; dropped: (error: Error) => void } | null = null;
  const source: RevocationSource = {
    description: inner.description,
    async subscribe(onRevoked, onDropped) {
      const feed = await inner.subscribe(onRevoked, onDropped);
      current = { feed, dropped: onDropped };
      return feed;
    },
  };
  const breakConnection = async () => {
    if (admin) {
      const { rows } = await admin.query(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1",
        [`jwt-revocation-test-${name}-${process.pid}`],
      );
      expect(rows).toEqual([{ ok: true }]);
    } else {
      const broken = current!;
      await broken.feed.close();
      broken.dropped(new Error("simulated drop"));
    }
  };
  return { source, breakConnection };
}

function startListener(source: RevocationSource, fallback = countingFallback()) {
  const listener = new RevocationListener(source, {
    tokenLifetimeSeconds: getEnv().ACCESS_TOKEN_TTL_SECONDS,
    isSessionLive: fallback.isSessionLive,
    log: quietLog,
    initialBackoffMs: 20,
    maxBackoffMs: 200,
  });
  listeners.push(listener);
  listener.start();
  return listener;
}

describe("the channel", () => {
  it("is the one the migrated trigger notifies (a name on the database's wire, spelled once in the app)", async () => {
    const rows = await db.$queryRaw<{ source: string }[]>`
      SELECT prosrc AS source FROM pg_proc WHERE proname = 'notify_session_revoked'`;
    expect(rows).toHaveLength(1);
    const channels = [...rows[0]!.source.matchAll(/pg_notify\('([^']*)'/g)].map((m) => m[1]);
    expect(channels).toEqual([REVOCATION_CHANNEL]);
  });
});

describe("instant revocation through the route handlers", () => {
  it("refuses the old access token with 401 session_revoked right after 'log out everywhere'", async () => {
    const user = await signUp();
    expect((await user.client.call(me, "/api/me", { bearer: user.accessToken })).status).toBe(200);
    await within(30_000, () => getRevocationListener().state === "live");

    const res = await user.client.call(logoutEverywhere, "/api/auth/sessions", {
      method: "DELETE",
      bearer: user.accessToken,
    });
    expect(res.status).toBe(200);
    let last: { status: number; body: any } | undefined;
    const elapsed = await within(BOUND_MS, async () => {
      last = await new TestClient().call(me, "/api/me", { bearer: user.accessToken });
      return last.status === 401;
    });
    expect(last!.body.error.code).toBe("session_revoked");
    expect(last!.body.error.message).toMatch(/signed out/);
    console.info(`[revocation] same instance refused after ${elapsed.toFixed(0)} ms`);
  });

  it("keeps accepting the tokens of other sessions", async () => {
    const [revoked, kept] = [await signUp(), await signUp()];
    await revokeSessionFamily(revoked.sessionId, "logout");
    await within(BOUND_MS, async () => {
      const res = await new TestClient().call(me, "/api/me", { bearer: revoked.accessToken });
      return res.status === 401;
    });
    const res = await new TestClient().call(me, "/api/me", { bearer: kept.accessToken });
    expect(res.status).toBe(200);
  });
});

describe("two instances", () => {
  let a: RevocationListener;
  let b: RevocationListener;
  const fallbackA = countingFallback();
  const fallbackB = countingFallback();
  let breakA: () => Promise<void>;

  beforeAll(async () => {
    const breakable = breakableSource("a");
    breakA = breakable.breakConnection;
    a = startListener(breakable.source, fallbackA);
    b = startListener(realSource("b"), fallbackB);
    await within(30_000, () => a.state === "live" && b.state === "live");
  });

  it("a revocation made anywhere reaches the other instance within 1 s, with no database read per check", async () => {
    const user = await signUp();
    await a.assertSessionLive(user.sessionId);
    await b.assertSessionLive(user.sessionId);
    fallbackA.calls.length = 0;
    fallbackB.calls.length = 0;

    await revokeSessionFamily(user.sessionId, "revoked_by_user");
    const [elapsedA, elapsedB] = await Promise.all([
      within(BOUND_MS, () => refuses(a, user.sessionId)),
      within(BOUND_MS, () => refuses(b, user.sessionId)),
    ]);
    console.info(
      `[revocation] ${a.source.description}: instances refused after ${elapsedA.toFixed(0)} / ${elapsedB.toFixed(0)} ms`,
    );
    // Every check above was answered from memory.
    expect(fallbackA.calls).toEqual([]);
    expect(fallbackB.calls).toEqual([]);
    expect(a.size).toBeGreaterThan(0);
  });

  it("misses nothing across a dropped connection: checks the database meanwhile, then catches up", async () => {
    const before = await signUp();
    const during = await signUp();
    await revokeSessionFamily(before.sessionId, "logout");
    await within(BOUND_MS, () => refuses(a, before.sessionId));

    // Kill A's listening connection and revoke while it is gone.
    const subscriptions = a.subscriptions;
    await breakA();
    await revokeSessionFamily(during.sessionId, "logout");
    // B heard it; A must refuse it too, from the database while down, from memory once back.
    await within(BOUND_MS, () => refuses(b, during.sessionId));
    await within(BOUND_MS, () => refuses(a, during.sessionId));

    // A reconnected (a second subscription) and is trusted again only after catching up.
    await within(30_000, () => a.state === "live" && a.subscriptions === subscriptions + 1);
    fallbackA.calls.length = 0;
    await expect(refuses(a, during.sessionId)).resolves.toBe(true);
    await expect(refuses(a, before.sessionId)).resolves.toBe(true);
    expect(fallbackA.calls).toEqual([]); // both answered from memory after catch-up
  });

  it("a fresh instance learns recent revocations at start (catch-up), before trusting memory", async () => {
    const user = await signUp();
    await revokeSessionFamily(user.sessionId, "logout");
    const fallback = countingFallback();
    const late = startListener(realSource("late"), fallback);
    // Whatever state it is in, it never accepts the revoked session.
    await expect(refuses(late, user.sessionId)).resolves.toBe(true);
    await within(30_000, () => late.state === "live");
    fallback.calls.length = 0;
    await expect(refuses(late, user.sessionId)).resolves.toBe(true);
    expect(fallback.calls).toEqual([]);
  });
});
