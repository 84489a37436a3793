/**
 * The inspector's server-side views: GET /api/auth/sessions/current (the session and its
 * refresh-token family as a tree of states, never a token or a hash) and the policy panel's
 * PUT /api/auth/sessions/current/policy, whose shorter lifetimes the real rotation code obeys.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as logout } from "@/app/api/auth/logout/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { PUT as putPolicy } from "@/app/api/auth/sessions/current/policy/route";
import { GET as sessionById } from "@/app/api/auth/sessions/[id]/route";
import { GET as currentSession } from "@/app/api/auth/sessions/current/route";
import { GET as me } from "@/app/api/me/route";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import { describeSession } from "@/lib/auth/session-family";
import { SessionNotFound } from "@/lib/auth/errors";
import type { Db } from "@/lib/db/client";
import { TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

let db: Db;
let restoreEnv: () => void = () => {};
beforeAll(async () => {
  db = await useTestDatabase();
});
afterEach(() => {
  vi.useRealTimers();
  restoreEnv();
  restoreEnv = () => {};
});

type FamilyNode = {
  id: string;
  parentId: string | null;
  generation: number;
  issuedVia: string;
  state: string;
  usedAt: string | null;
  reusedAt: string | null;
};

async function signUp() {
  const client = new TestClient();
  const email = uniqueEmail("inspector");
  const res = await client.call(register, "/api/auth/register", {
    json: { email, password: "correct horse battery" },
  });
  expect(res.status).toBe(201);
  return { client, email, accessToken: res.body.accessToken as string, userId: res.body.user.id };
}

/**
 * A revoked session's own access token is refused (instant revocation), so an ended session is
 * read the way the inspector's tests read it: through another, live login of the same user.
 */
async function viewEnded(email: string, sessionId: string) {
  const other = new TestClient();
  const signedIn = await other.call(login, "/api/auth/login", {
    json: { email, password: "correct horse battery" },
  });
  expect(signedIn.status).toBe(200);
  const res = await other.call(sessionById, `/api/auth/sessions/${sessionId}`, {
    bearer: signedIn.body.accessToken,
    params: { id: sessionId },
  });
  expect(res.status).toBe(200);
  return res.body.session as Awaited<ReturnType<typeof view>>;
}

/** Within the one-second bound (polled: on PostgreSQL the notification arrives asynchronously). */
async function expectRefusedAsRevoked(client: TestClient, accessToken: string) {
  await expect
    .poll(
      async () => {
        const res = await client.call(currentSession, "/api/auth/sessions/current", {
          bearer: accessToken,
        });
        return `${res.status} ${res.body.error?.code}`;
      },
      { timeout: 1000, interval: 20 },
    )
    .toBe("401 session_revoked");
}

async function rotate(client: TestClient, refreshToken?: string) {
  const res = await client.call(refresh, "/api/auth/refresh", {
    method: "POST",
    ...(refreshToken !== undefined && { refreshToken }),
  });
  return res;
}

async function view(client: TestClient, accessToken: string) {
  const res = await client.call(currentSession, "/api/auth/sessions/current", {
    bearer: accessToken,
  });
  expect(res.status).toBe(200);
  return res.body.session as {
    id: string;
    status: string;
    revokeReason: string | null;
    headGeneration: number;
    headIssuedAt: string;
    graceEndsAt: string | null;
    idleExpiresAt: string;
    tokens: FamilyNode[];
    tokenCount: number;
    policy: { effective: Record<string, number>; overrides: Record<string, number | null> };
  };
}

function advanceClock(seconds: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + seconds * 1000);
}

describe("GET /api/auth/sessions/current", () => {
  it("needs an access token", async () => {
    const res = await new TestClient().call(currentSession, "/api/auth/sessions/current");
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("token_missing");
  });

  it("shows a new session: one login token, current, and no grace window yet", async () => {
    const { client, accessToken } = await signUp();
    const session = await view(client, accessToken);
    expect(session).toMatchObject({ status: "active", headGeneration: 0 });
    expect(session.tokens).toEqual([
      expect.objectContaining({
        generation: 0,
        parentId: null,
        issuedVia: "login",
        state: "current",
      }),
    ]);
  });

  it("never shows a refresh token or its hash", async () => {
    const { client, accessToken } = await signUp();
    const spent = client.refreshToken!;
    await rotate(client);
    const res = await client.call(currentSession, "/api/auth/sessions/current", {
      bearer: accessToken,
    });
    const text = JSON.stringify(res.body);
    for (const raw of [spent, client.refreshToken!]) {
      expect(text).not.toContain(raw);
      expect(text).not.toContain(hashRefreshToken(raw));
    }
    expect(text).not.toMatch(/tokenHash/);
  });

  it("lists a rotation chain newest first, and states no grace end or head issue time", async () => {
    const { client, accessToken } = await signUp();
    await rotate(client);
    await rotate(client);
    const session = await view(client, accessToken);
    expect(session.headGeneration).toBe(2);
    expect(session.tokens.map((t) => [t.generation, t.issuedVia, t.state])).toEqual([
      [2, "rotation", "current"],
      [1, "rotation", "rotated"],
      [0, "login", "rotated"],
    ]);
    expect(session.tokens[0]!.parentId).toBe(session.tokens[1]!.id);
    // A thief polling with a stolen access token gets no schedule for its replays.
    expect(session).not.toHaveProperty("graceEndsAt");
    expect(session).not.toHaveProperty("headIssuedAt");
    expect(session).not.toHaveProperty("headParentId");
  });

  it("shows a lost answer's token as superseded and the retry's grace sibling as current", async () => {
    const { client, accessToken } = await signUp();
    const first = client.refreshToken!;
    // The answer of this rotation is "lost": the client keeps presenting `first`.
    await rotate(new TestClient(), first);
    const retry = await rotate(client, first);
    expect(retry.status).toBe(200);
    // The sibling works: it rotates normally.
    await rotate(client);

    const session = await view(client, accessToken);
    const byGeneration = (g: number) => session.tokens.filter((t) => t.generation === g);
    // Generation 1 twice: the lost answer's token, never presented, and the retry's sibling.
    expect(
      byGeneration(1)
        .map((t) => [t.issuedVia, t.state])
        .sort(),
    ).toEqual([
      ["grace", "rotated"],
      ["rotation", "superseded"],
    ]);
    expect(new Set(byGeneration(1).map((t) => t.parentId)).size).toBe(1);
    expect(byGeneration(2)).toEqual([expect.objectContaining({ state: "current" })]);
    expect(session.status).toBe("active");
  });

  it("right after a lost answer's retry, exactly one token is current: the sibling just delivered", async () => {
    const { client, accessToken } = await signUp();
    const first = client.refreshToken!;
    await rotate(new TestClient(), first); // rotated for real; the answer never arrives
    const retry = await rotate(client, first); // the retry, inside the grace window
    expect(retry.status).toBe(200);

    const session = await view(client, accessToken);
    const head = session.tokens.filter((t) => t.generation === session.headGeneration);
    expect(head.map((t) => [t.issuedVia, t.state]).sort()).toEqual([
      ["grace", "current"],
      ["rotation", "superseded"],
    ]);
    expect(session.tokens.filter((t) => t.state === "current")).toHaveLength(1);
  });

  it("after a replay once the successor was presented: revoked, with the replayed token marked reused", async () => {
    const { client, email, accessToken } = await signUp();
    const { id } = await view(client, accessToken);
    const stolen = client.refreshToken!;
    await rotate(client);
    await rotate(client);
    const thief = await rotate(new TestClient(), stolen);
    expect(thief.body.error.code).toBe("refresh_token_reused");

    // The family's access token is refused at once; another login still reads the ended session.
    await expectRefusedAsRevoked(client, accessToken);
    const session = await viewEnded(email, id);
    expect(session).toMatchObject({ status: "revoked", revokeReason: "refresh_token_reused" });
    expect(session.tokens.map((t) => [t.generation, t.state])).toEqual([
      [2, "revoked"],
      [1, "rotated"],
      [0, "reused"],
    ]);
    expect(session.tokens[2]!.reusedAt).not.toBeNull();
  });

  it("describes only the caller's own sessions", async () => {
    const alice = await signUp();
    const bob = await signUp();
    const bobsSession = await view(bob.client, bob.accessToken);
    await expect(describeSession(alice.userId, bobsSession.id)).rejects.toBeInstanceOf(
      SessionNotFound,
    );
  });
});

describe("GET /api/auth/sessions/{id}", () => {
  it("shows one of the caller's sessions, even after it ended; 404 for anyone else's", async () => {
    const { client, email, accessToken } = await signUp();
    const { id } = await view(client, accessToken);
    const second = await signUp(); // a session that stays live, for the malformed-id check below
    await client.call(logout, "/api/auth/logout", { method: "POST" });

    await expectRefusedAsRevoked(client, accessToken);
    expect(await viewEnded(email, id)).toMatchObject({
      id,
      status: "revoked",
      revokeReason: "logout",
    });

    const stranger = await signUp();
    const foreign = await stranger.client.call(sessionById, `/api/auth/sessions/${id}`, {
      bearer: stranger.accessToken,
      params: { id },
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe("session_not_found");
    const malformed = await second.client.call(sessionById, "/api/auth/sessions/nope", {
      bearer: second.accessToken,
      params: { id: "nope" },
    });
    expect(malformed.status).toBe(400);
  });
});

describe("PUT /api/auth/sessions/current/policy", () => {
  const shorter = { accessTokenTtlSeconds: 20, refreshGraceSeconds: 0, idleTimeoutSeconds: 60 };
  const defaults = {
    accessTokenTtlSeconds: null,
    refreshGraceSeconds: null,
    idleTimeoutSeconds: null,
  };

  async function setPolicy(client: TestClient, accessToken: string, json: unknown) {
    return client.call(putPolicy, "/api/auth/sessions/current/policy", {
      method: "PUT",
      bearer: accessToken,
      json,
    });
  }

  it("is not there with AUTH_DEV_SCENARIOS=0 (404, nothing changes)", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "0" });
    const { client, accessToken } = await signUp();
    const res = await setPolicy(client, accessToken, shorter);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
    expect((await view(client, accessToken)).policy.overrides).toEqual(defaults);
  });

  it.each([
    ["a local server by default", {}],
    ["AUTH_DEV_SCENARIOS=1", { AUTH_DEV_SCENARIOS: "1" }],
  ])("with %s, stores the overrides and the rotation code obeys them", async (_label, env) => {
    restoreEnv = setEnv(env);
    const { client, accessToken } = await signUp();
    const res = await setPolicy(client, accessToken, shorter);
    expect(res.status).toBe(200);
    expect(res.body.session.policy).toMatchObject({ overrides: shorter, effective: shorter });
    // The idle expiry is re-timed from now with the new idle timeout.
    expect(Date.parse(res.body.session.idleExpiresAt) - Date.now()).toBeLessThanOrEqual(60_000);

    // Access-token lifetime: from the next refresh on.
    const previous = client.refreshToken!;
    const refreshed = await rotate(client);
    expect(refreshed.body.accessTokenExpiresIn).toBe(20);
    expect((await client.call(me, "/api/me", { bearer: refreshed.body.accessToken })).status).toBe(
      200,
    );
    // Grace window 0: the predecessor presented right away is already a reuse.
    const replay = await rotate(new TestClient(), previous);
    expect(replay.body.error.code).toBe("refresh_token_reused");
  });

  it("idle timeout: a session not refreshed within it expires", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "1" });
    const { client, accessToken } = await signUp();
    await setPolicy(client, accessToken, { ...defaults, idleTimeoutSeconds: 60 });
    advanceClock(61);
    const res = await rotate(client);
    expect(res.body.error.code).toBe("session_expired");
  });

  it("refuses lifetimes longer than the server's (400, nothing stored)", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "1" });
    const { client, accessToken } = await signUp();
    const res = await setPolicy(client, accessToken, { ...defaults, accessTokenTtlSeconds: 301 });
    expect(res.status).toBe(400);
    expect(res.body.error.fields.accessTokenTtlSeconds).toBeDefined();
    expect((await view(client, accessToken)).policy.overrides).toEqual(defaults);
  });

  it("null goes back to the server default", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "1" });
    const { client, accessToken } = await signUp();
    await setPolicy(client, accessToken, shorter);
    const res = await setPolicy(client, accessToken, defaults);
    expect(res.body.session.policy.effective).toEqual({
      accessTokenTtlSeconds: 300,
      refreshGraceSeconds: 300,
      idleTimeoutSeconds: 7 * 24 * 3600,
    });
    expect((await rotate(client)).body.accessTokenExpiresIn).toBe(300);
  });

  it("does not change a revoked session", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "1" });
    const { client, accessToken } = await signUp();
    const sessionId = (await view(client, accessToken)).id;
    await db.session.update({
      where: { id: sessionId },
      data: { revokedAt: new Date(), revokeReason: "logout" },
    });
    // Refused either way: by the route (the session is not live) or, once the revocation has
    // arrived (within a second), already by the access-token check.
    const res = await setPolicy(client, accessToken, shorter);
    expect(["404 session_not_found", "401 session_revoked"]).toContain(
      `${res.status} ${res.body.error.code}`,
    );
    const row = await db.session.findUniqueOrThrow({ where: { id: sessionId } });
    expect(row.accessTokenTtlSeconds).toBeNull();
  });
});
