/**
 * Operators' events (lib/ops) and the user's own security events (auth_events), against the
 * real route handlers and database: the structured log carries one line per event and never a
 * secret; GET /api/auth/events answers only the caller's own rows; /api/metrics is served only
 * with its token, or to a loopback server's unproxied requests when none is set.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { GET as events } from "@/app/api/auth/events/route";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as logout } from "@/app/api/auth/logout/route";
import { POST as password } from "@/app/api/auth/password/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { DELETE as revokeSession } from "@/app/api/auth/sessions/[id]/route";
import { GET as metricsRoute } from "@/app/api/metrics/route";
import { ERROR_CODE, REVOKE_REASON, SECURITY_EVENT_KIND } from "@/lib/contract";
import type { Db } from "@/lib/db/client";
import { captureOpsLogs, forgetMetrics } from "@/lib/dev/process-state";
import { recordPrune } from "@/lib/ops/events";
import { pruneAuthEvents } from "@/lib/auth/security-events";
import { PASSWORD_CHANGE_LIMITS } from "@/lib/auth/throttle";
import { APP_ORIGIN, TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "a long enough password 1";
const NEW_PASSWORD = "another long password 22";
const METRICS_TOKEN = "metrics-token-for-tests-0123456789";

let db: Db;
let lines: string[] = [];
let restoreEnv: () => void = () => {};
beforeAll(async () => {
  db = await useTestDatabase();
});
afterEach(() => {
  captureOpsLogs(undefined);
  restoreEnv();
  restoreEnv = () => {};
  forgetMetrics();
});

function capture() {
  lines = [];
  captureOpsLogs({ write: (line) => lines.push(line) }, "info");
}
const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

async function signUp(client: TestClient, email = uniqueEmail("ops")) {
  const res = await client.call(register, "/api/auth/register", {
    json: { email, password: PASSWORD },
  });
  expect(res.status).toBe(201);
  return { email, accessToken: res.body.accessToken as string, userId: res.body.user.id as string };
}

async function readMetrics(headers: Record<string, string> = {}) {
  const response = await metricsRoute(
    new Request(new URL("/api/metrics", APP_ORIGIN), {
      headers: { host: "localhost:3000", ...headers },
    }),
    { params: Promise.resolve({}) },
  );
  const text = await response.text();
  return { status: response.status, text, type: response.headers.get("content-type") };
}

describe("the structured log", () => {
  it("logs each event of a whole flow as one JSON line, and no token, cookie, password or hash", async () => {
    capture();
    const victim = new TestClient("Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36");
    const { email, userId } = await signUp(victim);
    const seen: string[] = [victim.refreshToken!];
    const wrong = await new TestClient().call(login, "/api/auth/login", {
      json: { email, password: `${PASSWORD}-wrong` },
    });
    expect(wrong.status).toBe(401);
    const laptop = new TestClient("Mozilla/5.0 (Macintosh; Mac OS X 14_0) Firefox/130.0");
    const signedIn = await laptop.call(login, "/api/auth/login", {
      json: { email, password: PASSWORD },
    });
    expect(signedIn.status).toBe(200);
    seen.push(laptop.refreshToken!, signedIn.body.accessToken, ...signedIn.setCookies);
    // Two rotations, then the first token again: an ancestor, so REUSED.
    const first = victim.refreshToken!;
    for (let i = 0; i < 2; i += 1) {
      const r = await victim.call(refresh, "/api/auth/refresh", { method: "POST" });
      expect(r.status).toBe(200);
      seen.push(victim.refreshToken!, r.body.accessToken, ...r.setCookies);
    }
    const replay = await new TestClient().call(refresh, "/api/auth/refresh", {
      method: "POST",
      refreshToken: first,
    });
    expect(replay.body.error.code).toBe(ERROR_CODE.refreshTokenReused);
    const changed = await laptop.call(password, "/api/auth/password", {
      bearer: signedIn.body.accessToken,
      json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(changed.status).toBe(200);
    seen.push(laptop.refreshToken!, changed.body.accessToken, ...changed.setCookies);
    expect((await laptop.call(logout, "/api/auth/logout", { method: "POST" })).status).toBe(204);

    const entries = logged();
    expect(lines.length).toBe(entries.length); // one object a line
    // Lines without `event` are the app's other messages (a generated key's notice, first run).
    const kinds = entries.filter((e) => e.event).map((e) => `${e.event}:${e.outcome}`);
    expect(kinds).toEqual([
      "sign_up:success",
      "sign_in:failure",
      "sign_in:success",
      "refresh:rotated",
      "refresh:rotated",
      "reuse_detected:spent_token",
      "refresh:refused",
      "password_changed:success",
      "revoked:logout",
    ]);
    const reuse = entries.find((e) => e.event === "reuse_detected")!;
    const victimSession = await db.session.findFirstOrThrow({
      where: { userId, revokeReason: REVOKE_REASON.refreshTokenReused },
    });
    expect(reuse).toMatchObject({
      level: "warn",
      userId,
      sessionId: victimSession.id,
      tokenGeneration: 0,
      headGeneration: 2,
    });
    for (const entry of entries) expect(typeof entry.time).toBe("string");

    const tokenHashes = (
      await db.refreshToken.findMany({
        where: { session: { userId } },
        select: { tokenHash: true },
      })
    ).map((t) => t.tokenHash);
    const { passwordHash } = await db.user.findUniqueOrThrow({ where: { id: userId } });
    const secrets = [...seen, ...tokenHashes, passwordHash, PASSWORD, NEW_PASSWORD, email];
    const cookieValues = seen.flatMap((s) => /=([^;]+)/.exec(s)?.[1] ?? []);
    const text = lines.join("");
    expect(tokenHashes.length).toBeGreaterThanOrEqual(5);
    for (const secret of [...secrets, ...cookieValues].filter((s) => s.length >= 8)) {
      expect(text).not.toContain(secret);
    }
  });

  it("logs throttle refusals with their wait, and a prune through recordPrune", async () => {
    restoreEnv = setEnv({ REGISTRATION_LIMIT_PER_MINUTE: "1" });
    capture();
    const refused = await new TestClient().call(register, "/api/auth/register", {
      json: { email: uniqueEmail("throttled"), password: PASSWORD },
    });
    expect(refused.status).toBe(429);
    recordPrune({ deleted: { sessions: 3, refresh_tokens: 40, auth_events: 2 }, durationMs: 12.4 });
    const entries = logged();
    expect(entries[0]).toMatchObject({
      event: "throttled",
      outcome: "registration",
      level: "warn",
    });
    expect(entries[0]!.retryAfterSeconds).toBeGreaterThan(0);
    expect(entries[1]).toMatchObject({
      event: "prune",
      outcome: "success",
      deleted: { sessions: 3, refresh_tokens: 40, auth_events: 2 },
      durationMs: 12,
    });
    const { text } = await readMetrics();
    expect(text).toContain('auth_prune_deleted_rows_total{table="refresh_tokens"} 40');
    expect(text).toContain('auth_events_total{event="throttled",outcome="registration"} 1');
  });
  it("logs a signed-in password change's refusal as its own kind, not as a sign-in's", async () => {
    const client = new TestClient();
    const { accessToken } = await signUp(client);
    capture();
    const answers: number[] = [];
    for (let i = 0; i <= PASSWORD_CHANGE_LIMITS.session.points; i++) {
      const res = await client.call(password, "/api/auth/password", {
        bearer: accessToken,
        json: { currentPassword: `${PASSWORD}-guess-${i}`, newPassword: NEW_PASSWORD },
      });
      answers.push(res.status);
    }
    expect(answers.at(-1)).toBe(429);
    const refusals = logged().filter((e) => e.event === "throttled");
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ outcome: "password_change", level: "warn" });
    const { text } = await readMetrics();
    expect(text).toMatch(/auth_events_total\{event="throttled",outcome="password_change"\} [1-9]/);
  });
});

describe("GET /api/auth/events", () => {
  it("shows the user's own sign-ins, reuse (with the device), revocation and password change, newest first", async () => {
    const phone = new TestClient(
      "Mozilla/5.0 (Linux; Android 14) Chrome/140.0 Mobile Safari/537.36",
    );
    const { email } = await signUp(phone);
    const laptop = new TestClient("Mozilla/5.0 (Windows NT 10.0) Firefox/130.0");
    const signedIn = await laptop.call(login, "/api/auth/login", {
      json: { email, password: PASSWORD },
    });
    const first = phone.refreshToken!;
    await phone.call(refresh, "/api/auth/refresh", { method: "POST" });
    await phone.call(refresh, "/api/auth/refresh", { method: "POST" });
    await new TestClient().call(refresh, "/api/auth/refresh", {
      method: "POST",
      refreshToken: first,
    });
    const changed = await laptop.call(password, "/api/auth/password", {
      bearer: signedIn.body.accessToken,
      json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    const other = new TestClient("curl/8.0");
    await other.call(login, "/api/auth/login", { json: { email, password: NEW_PASSWORD } });
    const otherSession = await db.session.findFirstOrThrow({
      where: { user: { email }, revokedAt: null, userAgent: "curl/8.0" },
    });
    const revoked = await laptop.call(revokeSession, `/api/auth/sessions/${otherSession.id}`, {
      method: "DELETE",
      bearer: changed.body.accessToken,
      params: { id: otherSession.id },
    });
    expect(revoked.status).toBe(204);

    const res = await laptop.call(events, "/api/auth/events", { bearer: changed.body.accessToken });
    expect(res.status).toBe(200);
    const list = res.body.events as Array<Record<string, unknown>>;
    expect(list.map((e) => [e.kind, e.reason, e.device])).toEqual([
      [SECURITY_EVENT_KIND.sessionRevoked, REVOKE_REASON.revokedByUser, "curl"],
      [SECURITY_EVENT_KIND.signedIn, null, "curl"],
      [SECURITY_EVENT_KIND.passwordChanged, null, "Firefox on Windows"],
      [SECURITY_EVENT_KIND.reuseDetected, "spent_token", "Chrome on Android"],
      [SECURITY_EVENT_KIND.signedIn, null, "Firefox on Windows"],
      [SECURITY_EVENT_KIND.signedIn, null, "Chrome on Android"],
    ]);
    // The password change started the caller's present session: marked current.
    expect(list.filter((e) => e.current).map((e) => e.kind)).toEqual([
      SECURITY_EVENT_KIND.passwordChanged,
    ]);
    expect(Object.keys(list[0]!).sort()).toEqual([
      "createdAt",
      "current",
      "device",
      "id",
      "kind",
      "reason",
    ]);
  });

  it("never answers with another user's events", async () => {
    const alice = await signUp(new TestClient());
    const bob = await signUp(new TestClient());
    await new TestClient().call(login, "/api/auth/login", {
      json: { email: alice.email, password: PASSWORD },
    });
    const aliceIds = new Set(
      (await db.authEvent.findMany({ where: { userId: alice.userId } })).map((e) => e.id),
    );
    expect(aliceIds.size).toBe(2);
    const res = await new TestClient().call(events, "/api/auth/events?userId=" + alice.userId, {
      bearer: bob.accessToken,
      headers: { "x-user-id": alice.userId },
    });
    expect(res.status).toBe(200);
    const ids = (res.body.events as Array<{ id: string }>).map((e) => e.id);
    expect(ids).toHaveLength(1);
    expect(ids.some((id) => aliceIds.has(id))).toBe(false);
    const [own] = await db.authEvent.findMany({ where: { userId: bob.userId } });
    expect(ids).toEqual([own!.id]);
  });

  it("refuses a caller without an access token with 401 token_missing", async () => {
    const res = await new TestClient().call(events, "/api/auth/events");
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(ERROR_CODE.tokenMissing);
  });

  it("a login writes its sign-in event in its own statement: a failed login writes none", async () => {
    const { email, userId } = await signUp(new TestClient());
    await new TestClient().call(login, "/api/auth/login", {
      json: { email, password: "wrong password 123" },
    });
    expect(await db.authEvent.count({ where: { userId } })).toBe(1);
    await new TestClient().call(login, "/api/auth/login", { json: { email, password: PASSWORD } });
    const rows = await db.authEvent.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });
    const sessions = await db.session.findMany({
      where: { userId },
      orderBy: { createdAt: "asc" },
    });
    expect(rows.map((r) => r.sessionId)).toEqual(sessions.map((s) => s.id));
    expect(rows[1]!.createdAt.getTime()).toBe(sessions[1]!.createdAt.getTime());
  });
});

describe("GET /api/metrics", () => {
  it("with METRICS_TOKEN: 403 without it or with a wrong one, the registry with the right one", async () => {
    restoreEnv = setEnv({ METRICS_TOKEN });
    const missing = await readMetrics();
    expect(missing.status).toBe(403);
    expect(JSON.parse(missing.text).error.code).toBe(ERROR_CODE.metricsForbidden);
    const wrong = await readMetrics({ authorization: `Bearer ${METRICS_TOKEN}x` });
    expect(wrong.status).toBe(403);
    expect(JSON.parse(wrong.text).error.code).toBe(ERROR_CODE.metricsForbidden);
    expect(wrong.text).not.toContain("auth_events_total");

    const { email } = await signUp(new TestClient());
    await new TestClient().call(login, "/api/auth/login", { json: { email, password: PASSWORD } });
    const served = await readMetrics({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(served.status).toBe(200);
    expect(served.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(served.text).toContain('auth_events_total{event="sign_in",outcome="success"} 1');
    expect(served.text).toMatch(
      /http_request_duration_seconds_count\{route="\/api\/auth\/login",method="POST",status="200"\} 1/,
    );
    expect(served.text).toContain("process_cpu_seconds_total");
  });

  it("labels a route by its pattern, never by the id in the path", async () => {
    restoreEnv = setEnv({ METRICS_TOKEN });
    const client = new TestClient();
    const { accessToken } = await signUp(client);
    const id = "00000000-0000-4000-8000-000000000001";
    await client.call(revokeSession, `/api/auth/sessions/${id}`, {
      method: "DELETE",
      bearer: accessToken,
      params: { id },
    });
    const { text } = await readMetrics({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(text).toContain('route="/api/auth/sessions/[id]",method="DELETE",status="404"');
    expect(text).not.toContain(id);
  });

  it("without a token: served to a loopback server's own requests, 404 when proxied or not loopback", async () => {
    restoreEnv = setEnv({ METRICS_TOKEN: undefined, HOST: "127.0.0.1" });
    expect((await readMetrics()).status).toBe(200);
    // What Next writes into X-Forwarded-For for a loopback peer that sent none.
    for (const peer of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
      expect((await readMetrics({ "x-forwarded-for": peer })).status).toBe(200);
    }
    const throughProxies: Array<Record<string, string>> = [
      { "x-forwarded-for": "203.0.113.7" },
      // nginx's $proxy_add_x_forwarded_for after a client that claimed to be loopback
      { "x-forwarded-for": "127.0.0.1, 203.0.113.7" },
      { forwarded: "for=203.0.113.7" },
      { "x-real-ip": "203.0.113.7" },
      { "x-real-ip": "127.0.0.1" },
    ];
    for (const headers of throughProxies) {
      const proxied = await readMetrics(headers);
      expect(proxied.status).toBe(404);
      expect(JSON.parse(proxied.text).error.code).toBe(ERROR_CODE.notFound);
    }
    restoreEnv();
    restoreEnv = setEnv({ METRICS_TOKEN: undefined, HOST: "0.0.0.0" });
    const open = await readMetrics();
    expect(open.status).toBe(404);
    expect(JSON.parse(open.text).error.code).toBe(ERROR_CODE.notFound);
  });

  it("METRICS_ENABLED=0 counts nothing and answers 404, even with the token", async () => {
    restoreEnv = setEnv({ METRICS_ENABLED: "0", METRICS_TOKEN });
    forgetMetrics();
    const res = await readMetrics({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text).error.code).toBe(ERROR_CODE.notFound);
  });
});

describe("pruneAuthEvents (the retention prune's part)", () => {
  it("deletes only events older than the cutoff, in bounded batches", async () => {
    const { userId } = await signUp(new TestClient());
    const day = 86_400_000;
    const now = Date.now();
    // Far in the past, so no other test's rows are older.
    const old = [400, 401, 402].map((d) => new Date(now - d * 365 * day));
    for (const createdAt of old) {
      await db.authEvent.create({
        data: { userId, kind: SECURITY_EVENT_KIND.signedIn, createdAt },
      });
    }
    const cutoff = new Date(now - 399 * 365 * day);
    expect(await pruneAuthEvents(cutoff, 2)).toBe(2);
    expect(await pruneAuthEvents(cutoff, 2)).toBe(1);
    expect(await pruneAuthEvents(cutoff, 2)).toBe(0);
    // The registration's own event is recent: kept.
    expect(await db.authEvent.count({ where: { userId } })).toBe(1);
  });
});
