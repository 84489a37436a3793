/**
 * The HTTP contract of the auth routes, exercised through the real route
 * handlers against a real database (PGlite, or PostgreSQL when DATABASE_URL is
 * set). No mocks: real argon2id, real Ed25519 signatures, real SQL.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as logout } from "@/app/api/auth/logout/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { DELETE as revokeOne } from "@/app/api/auth/sessions/[id]/route";
import { DELETE as revokeAll, GET as listSessions } from "@/app/api/auth/sessions/route";
import { GET as me } from "@/app/api/me/route";
import { GET as listNotes, POST as addNote } from "@/app/api/notes/route";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import type { Db } from "@/lib/db/client";
import { TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

let db: Db;
beforeAll(async () => {
  db = await useTestDatabase();
});
afterEach(() => {
  vi.useRealTimers();
});

const PASSWORD = "correct horse battery";

async function signUp(client = new TestClient(), email = uniqueEmail()) {
  const res = await client.call(register, "/api/auth/register", {
    json: { email, password: PASSWORD, name: "Ada" },
  });
  expect(res.status).toBe(201);
  return { client, email, accessToken: res.body.accessToken as string, res };
}

async function sessionOf(refreshToken: string) {
  const token = await db.refreshToken.findUniqueOrThrow({
    where: { tokenHash: hashRefreshToken(refreshToken) },
    include: { session: true },
  });
  return token.session;
}

/** Moves the server's clock (and only Date) forward. */
function advanceClock(seconds: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + seconds * 1000);
}

describe("register", () => {
  it("creates the user, seeds notes, and sets a hardened refresh cookie", async () => {
    const { client, email, res } = await signUp();
    expect(res.body.user).toMatchObject({ email, name: "Ada" });
    expect(res.body.accessTokenExpiresIn).toBe(300);
    expect(Date.parse(res.body.accessTokenExpiresAt) - Date.now()).toBeGreaterThan(290_000);

    const cookie = res.setCookies.find((c) => c.startsWith("__Secure-refresh_token="));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/Path=\/api\/auth/i);
    const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie!)?.[1]);
    expect(maxAge).toBeGreaterThan(30 * 24 * 3600 - 60);
    expect(maxAge).toBeLessThanOrEqual(30 * 24 * 3600);
    expect(client.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The database holds only the hash of the refresh token.
    const stored = await db.refreshToken.findMany({ where: { session: { user: { email } } } });
    expect(stored).toHaveLength(1);
    expect(stored[0]!.tokenHash).toBe(hashRefreshToken(client.refreshToken!));
    expect(JSON.stringify(stored)).not.toContain(client.refreshToken);

    const notes = await client.call(listNotes, "/api/notes", { bearer: res.body.accessToken });
    expect(notes.status).toBe(200);
    expect(notes.body.notes).toHaveLength(3);
  });

  it("normalises the email, so a case variant is taken (409) and nothing is written", async () => {
    const email = uniqueEmail("Case");
    await signUp(new TestClient(), email);
    const before = await db.user.count();
    const res = await new TestClient().call(register, "/api/auth/register", {
      json: { email: `  ${email.toUpperCase()} `, password: PASSWORD },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("email_taken");
    expect(await db.user.count()).toBe(before);
  });

  it("answers invalid input with 400 invalid_request and field errors, writing nothing", async () => {
    const before = await db.user.count();
    const res = await new TestClient().call(register, "/api/auth/register", {
      json: { email: "not-an-email", password: "short" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(Object.keys(res.body.error.fields).sort()).toEqual(["email", "password"]);
    expect(res.setCookies).toHaveLength(0);
    expect(await db.user.count()).toBe(before);
  });

  it("refuses an oversized password before hashing it", async () => {
    const res = await new TestClient().call(register, "/api/auth/register", {
      json: { email: uniqueEmail(), password: "x".repeat(129) },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.fields.password[0]).toMatch(/at most 128/);
  });

  it("refuses a body that is not JSON (415) or not parseable (400)", async () => {
    const form = await new TestClient().call(register, "/api/auth/register", {
      body: "email=a@b.c&password=12345678",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe("unsupported_media_type");
    const broken = await new TestClient().call(register, "/api/auth/register", {
      body: "{ not json",
      headers: { "content-type": "application/json" },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe("invalid_json");
  });
});

describe("login", () => {
  it("signs in with the right password and starts a second session", async () => {
    const { email } = await signUp();
    const laptop = new TestClient("laptop");
    const res = await laptop.call(login, "/api/auth/login", {
      json: { email: email.toUpperCase(), password: PASSWORD },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe(email);
    expect(laptop.refreshToken).not.toBeNull();
    expect(await db.session.count({ where: { user: { email } } })).toBe(2);
  });

  it("answers an unknown email and a wrong password identically", async () => {
    const { email } = await signUp();
    const wrong = await new TestClient().call(login, "/api/auth/login", {
      json: { email, password: "wrong password!" },
    });
    const unknown = await new TestClient().call(login, "/api/auth/login", {
      json: { email: uniqueEmail("nobody"), password: "wrong password!" },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    expect(wrong.setCookies).toHaveLength(0);
  });
});

describe("refresh rotation", () => {
  it("rotates: a new cookie and access token each time, the old token marked used", async () => {
    const { client, accessToken } = await signUp();
    const first = client.refreshToken!;
    const res = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(res.status).toBe(200);
    expect(client.refreshToken).not.toBe(first);
    expect(res.body.accessToken).not.toBe(accessToken);
    const spent = await db.refreshToken.findUniqueOrThrow({
      where: { tokenHash: hashRefreshToken(first) },
    });
    expect(spent.usedAt).not.toBeNull();
    const session = await sessionOf(client.refreshToken!);
    expect(session.headGeneration).toBe(1);

    const profile = await client.call(me, "/api/me", { bearer: res.body.accessToken });
    expect(profile.status).toBe(200);
  });

  it("treats a replayed, rotated token (after its successor was presented) as theft: the family is revoked", async () => {
    const { client } = await signUp();
    const stolen = client.refreshToken!;
    expect((await client.call(refresh, "/api/auth/refresh", { method: "POST" })).status).toBe(200);
    // The victim presents the successor: the stolen token is no longer the head's parent.
    expect((await client.call(refresh, "/api/auth/refresh", { method: "POST" })).status).toBe(200);
    const current = client.refreshToken!;

    // The thief holds the device key too (test/harness.ts TestClient): malware in the victim's
    // browser, which binding cannot stop and rotation still catches.
    const thief = new TestClient("thief");
    const replay = await thief.call(refresh, "/api/auth/refresh", {
      method: "POST",
      refreshToken: stolen,
    });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("refresh_token_reused");
    expect(replay.setCookies.join("\n")).toMatch(/Max-Age=0/i);

    const session = await sessionOf(current);
    expect(session.revokedAt).not.toBeNull();
    expect(session.revokeReason).toBe("refresh_token_reused");

    // The victim's current token dies with the family, and says why.
    const victim = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(victim.status).toBe(401);
    expect(victim.body.error.code).toBe("refresh_token_reused");
    expect(client.refreshToken).toBeNull();
  });

  it("accepts the immediate predecessor inside the grace window (lost response) and the result keeps working", async () => {
    const { client } = await signUp();
    const original = client.refreshToken!;
    const rotated = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(rotated.status).toBe(200);
    const lostInTransit = client.refreshToken!;

    // The response above never reached the browser: it retries with the old cookie.
    const retry = await client.call(refresh, "/api/auth/refresh", {
      method: "POST",
      refreshToken: original,
    });
    expect(retry.status).toBe(200);
    expect(client.refreshToken).not.toBe(original);
    expect(client.refreshToken).not.toBe(lostInTransit);

    advanceClock(60);
    const later = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(later.status).toBe(200);
    const session = await sessionOf(client.refreshToken!);
    expect(session.revokedAt).toBeNull();
    expect(session.headGeneration).toBe(2);
  });

  it("treats an older ancestor as reuse even inside the grace window", async () => {
    const { client } = await signUp();
    const grandparent = client.refreshToken!;
    await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    const res = await new TestClient().call(refresh, "/api/auth/refresh", {
      method: "POST",
      refreshToken: grandparent,
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("refresh_token_reused");
    expect((await sessionOf(grandparent)).revokeReason).toBe("refresh_token_reused");
  });

  it("ends 20 concurrent refreshes of one token in exactly one rotation and no revocation", async () => {
    const { client } = await signUp();
    const shared = client.refreshToken!;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        new TestClient().call(refresh, "/api/auth/refresh", {
          method: "POST",
          refreshToken: shared,
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));

    const session = await sessionOf(shared);
    expect(session.revokedAt).toBeNull();
    expect(session.headGeneration).toBe(1);
    const tokens = await db.refreshToken.findMany({ where: { sessionId: session.id } });
    expect(tokens.filter((t) => t.usedAt !== null)).toHaveLength(1); // one rotation
    expect(tokens.filter((t) => t.generation === 1)).toHaveLength(20); // 1 successor + 19 grace siblings

    // Whichever answer the browser kept, its cookie still refreshes.
    const kept = results[Math.floor(Math.random() * results.length)]!;
    const keptToken = /refresh_token=([^;]+)/.exec(kept.setCookies.join(";"))![1]!;
    const next = await new TestClient().call(refresh, "/api/auth/refresh", {
      method: "POST",
      refreshToken: keptToken,
    });
    expect(next.status).toBe(200);
  });

  it("answers a missing or malformed cookie with its own code", async () => {
    const missing = await new TestClient().call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe("refresh_token_missing");
    // Nothing was sent, so nothing is cleared: a late answer must not delete a fresh login's cookie.
    expect(missing.setCookies).toHaveLength(0);
    const garbage = await new TestClient().call(refresh, "/api/auth/refresh", {
      method: "POST",
      refreshToken: "not-a-token",
    });
    expect(garbage.body.error.code).toBe("refresh_token_invalid");
    const unknown = await new TestClient().call(refresh, "/api/auth/refresh", {
      method: "POST",
      refreshToken: "A".repeat(43),
    });
    expect(unknown.body.error.code).toBe("refresh_token_invalid");
  });
});

describe("session expiry", () => {
  it("expires an idle session, even though its absolute lifetime remains", async () => {
    const restore = setEnv({ SESSION_IDLE_TIMEOUT_SECONDS: "3600" });
    try {
      const { client } = await signUp();
      advanceClock(3500);
      expect((await client.call(refresh, "/api/auth/refresh", { method: "POST" })).status).toBe(
        200,
      );
      advanceClock(3500); // activity above moved the idle deadline
      expect((await client.call(refresh, "/api/auth/refresh", { method: "POST" })).status).toBe(
        200,
      );
      advanceClock(3601);
      const res = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("session_expired");
    } finally {
      restore();
    }
  });

  it("expires a busy session at its absolute lifetime", async () => {
    const restore = setEnv({
      SESSION_IDLE_TIMEOUT_SECONDS: "3600",
      SESSION_ABSOLUTE_TIMEOUT_SECONDS: "7200",
    });
    try {
      const { client, res: registered } = await signUp();
      const maxAge = Number(/Max-Age=(\d+)/i.exec(registered.setCookies.join(";"))?.[1]);
      expect(maxAge).toBeLessThanOrEqual(7200);
      for (let i = 0; i < 3; i++) {
        advanceClock(2000);
        expect((await client.call(refresh, "/api/auth/refresh", { method: "POST" })).status).toBe(
          200,
        );
      }
      advanceClock(1300); // 7300 s after login
      const res = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
      expect(res.body.error.code).toBe("session_expired");
    } finally {
      restore();
    }
  });
});

describe("logout and revocation", () => {
  it("logout revokes this session and clears the cookie; the token no longer refreshes", async () => {
    const { client } = await signUp();
    const token = client.refreshToken!;
    const res = await client.call(logout, "/api/auth/logout", { method: "POST" });
    expect(res.status).toBe(204);
    expect(res.setCookies.join("\n")).toMatch(/refresh_token=;.*Max-Age=0/i);
    const again = await new TestClient().call(refresh, "/api/auth/refresh", {
      method: "POST",
      refreshToken: token,
    });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe("session_revoked");
  });

  it("lists live sessions with the current one marked, revokes one, then all", async () => {
    const {
      client: phone,
      email,
      accessToken: phoneAccess,
    } = await signUp(new TestClient("phone"));
    const laptop = new TestClient("laptop");
    const laptopLogin = await laptop.call(login, "/api/auth/login", {
      json: { email, password: PASSWORD },
    });
    const tablet = new TestClient("tablet");
    await tablet.call(login, "/api/auth/login", { json: { email, password: PASSWORD } });

    const listed = await phone.call(listSessions, "/api/auth/sessions", { bearer: phoneAccess });
    expect(listed.status).toBe(200);
    expect(listed.body.sessions).toHaveLength(3);
    const current = listed.body.sessions.filter((s: { current: boolean }) => s.current);
    expect(current).toHaveLength(1);
    expect(current[0].userAgent).toBe("phone");

    const laptopSession = listed.body.sessions.find(
      (s: { userAgent: string }) => s.userAgent === "laptop",
    );
    const revoked = await phone.call(revokeOne, `/api/auth/sessions/${laptopSession.id}`, {
      method: "DELETE",
      bearer: phoneAccess,
      params: { id: laptopSession.id },
    });
    expect(revoked.status).toBe(204);
    expect(
      (await laptop.call(refresh, "/api/auth/refresh", { method: "POST" })).body.error.code,
    ).toBe("session_revoked");
    expect((await tablet.call(refresh, "/api/auth/refresh", { method: "POST" })).status).toBe(200);

    // Someone else's session id is "not found", like a random one.
    const { accessToken: strangerAccess } = await signUp();
    const probe = await new TestClient().call(revokeOne, `/api/auth/sessions/${laptopSession.id}`, {
      method: "DELETE",
      bearer: strangerAccess,
      params: { id: laptopSession.id },
    });
    expect(probe.status).toBe(404);

    const all = await phone.call(revokeAll, "/api/auth/sessions", {
      method: "DELETE",
      bearer: phoneAccess,
    });
    expect(all.status).toBe(200);
    expect(all.body.revoked).toBe(2);
    expect(
      (await tablet.call(refresh, "/api/auth/refresh", { method: "POST" })).body.error.code,
    ).toBe("session_revoked");
    expect(
      (await phone.call(refresh, "/api/auth/refresh", { method: "POST" })).body.error.code,
    ).toBe("session_revoked");
    expect(laptopLogin.status).toBe(200);
  });
});

describe("protected data", () => {
  it("adds a note through POST /api/notes and lists it first", async () => {
    const { client, accessToken } = await signUp();
    const added = await client.call(addNote, "/api/notes", {
      json: { body: "  buy milk  " },
      bearer: accessToken,
    });
    expect(added.status).toBe(201);
    expect(added.body.note.body).toBe("buy milk");
    const list = await client.call(listNotes, "/api/notes", { bearer: accessToken });
    expect(list.body.notes[0].body).toBe("buy milk");
    expect(list.body.notes).toHaveLength(4);
  });

  it("keeps each user's notes to themselves", async () => {
    const a = await signUp();
    await a.client.call(addNote, "/api/notes", {
      json: { body: "secret of A" },
      bearer: a.accessToken,
    });
    const b = await signUp();
    const list = await b.client.call(listNotes, "/api/notes", { bearer: b.accessToken });
    expect(list.body.notes.map((n: { body: string }) => n.body)).not.toContain("secret of A");
  });

  it("refuses an empty note with field errors and writes nothing", async () => {
    const { client, accessToken } = await signUp();
    const before = await db.note.count();
    const res = await client.call(addNote, "/api/notes", {
      json: { body: "   " },
      bearer: accessToken,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.fields.body).toBeDefined();
    expect(await db.note.count()).toBe(before);
  });
});
