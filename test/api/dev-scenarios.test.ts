/**
 * The inspector's scenario endpoints (/api/auth/dev/*): on by default only for a local server,
 * absent with AUTH_DEV_SCENARIOS=0, refused for a server that is not local even with "1", and, when on, running the real auth code: a token
 * the real verifier refuses as expired, a replay judged by the real rotation state machine, a
 * real rotation whose answer is dropped.
 */
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as captureRoute } from "@/app/api/auth/dev/capture-refresh-token/route";
import { POST as expiredTokenRoute } from "@/app/api/auth/expired-access-token/route";
import { POST as loseRoute } from "@/app/api/auth/dev/lose-refresh-response/route";
import { POST as replayRoute } from "@/app/api/auth/dev/replay-refresh-token/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { GET as currentSession } from "@/app/api/auth/sessions/current/route";
import { GET as me } from "@/app/api/me/route";
import { assertDevToolEnabled } from "@/lib/dev/gate";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import type { Db } from "@/lib/db/client";
import { ConfigError, parseEnv } from "@/lib/env";
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

async function signUp() {
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail("scenario"), password: "correct horse battery" },
  });
  expect(res.status).toBe(201);
  return { client, accessToken: res.body.accessToken as string };
}

async function sessionRowOf(refreshToken: string) {
  const token = await db.refreshToken.findUniqueOrThrow({
    where: { tokenHash: hashRefreshToken(refreshToken) },
    include: { session: true },
  });
  return token.session;
}

const post = (
  client: TestClient,
  route: Parameters<TestClient["call"]>[0],
  path: string,
  bearer: string,
  json?: unknown,
) => client.call(route, path, { method: "POST", bearer, ...(json !== undefined && { json }) });

describe("when AUTH_DEV_SCENARIOS=0", () => {
  it("every scenario route answers 404 not_found and changes nothing", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "0" });
    const { client, accessToken } = await signUp();
    const cookieBefore = client.refreshToken!;
    const before = await sessionRowOf(cookieBefore);
    const calls = [
      [captureRoute, "/api/auth/dev/capture-refresh-token", undefined],
      [replayRoute, "/api/auth/dev/replay-refresh-token", { captureId: "x" }],
      [loseRoute, "/api/auth/dev/lose-refresh-response", undefined],
    ] as const;
    for (const [route, path, json] of calls) {
      const res = await post(client, route, path, accessToken, json);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe("not_found");
      expect(res.setCookies, path).toEqual([]);
    }
    expect(client.refreshToken).toBe(cookieBefore);
    expect(await sessionRowOf(cookieBefore)).toEqual(before);
  });

  it("answers 404 before looking at credentials, so the routes cannot be probed", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "0" });
    const res = await new TestClient().call(captureRoute, "/api/auth/dev/capture-refresh-token", {
      method: "POST",
    });
    expect(res.status).toBe(404);
  });
});

describe("by default (AUTH_DEV_SCENARIOS=auto)", () => {
  it("is on for a local server, off for any other", () => {
    expect(parseEnv({}).devScenariosEnabled).toBe(true);
    expect(parseEnv({ APP_URL: "http://127.0.0.1:3000" }).devScenariosEnabled).toBe(true);
    expect(parseEnv({ HOST: "0.0.0.0" }).devScenariosEnabled).toBe(false);
    expect(parseEnv({ APP_URL: "http://staging.example.com" }).devScenariosEnabled).toBe(false);
    expect(parseEnv({ NODE_ENV: "production", AUTH_SIGNING_KEYS: "{}" }).devScenariosEnabled).toBe(
      false,
    );
    expect(parseEnv({ AUTH_DEV_SCENARIOS: "0" }).devScenariosEnabled).toBe(false);
  });
});

describe("on a server that is not local", () => {
  it.each([
    ["a public deployment", { APP_URL: "https://auth.example.com", AUTH_SIGNING_KEYS: "{}" }],
    ["an http staging host", { APP_URL: "http://staging.example.com:3000" }],
    ["HOST on every interface, no APP_URL", { HOST: "0.0.0.0" }],
    ["NODE_ENV=production, no APP_URL", { NODE_ENV: "production", AUTH_SIGNING_KEYS: "{}" }],
  ])("AUTH_DEV_SCENARIOS=1 is refused at start: %s", (_label, env) => {
    expect(() => parseEnv({ ...env, AUTH_DEV_SCENARIOS: "1" })).toThrow(ConfigError);
    expect(() => parseEnv({ ...env, AUTH_DEV_SCENARIOS: "1" })).toThrow(
      /refused unless the server is local/,
    );
    expect(parseEnv(env).devScenariosEnabled).toBe(false);
  });

  it("and the routes' own guard refuses too, should such a configuration ever get through", () => {
    const env = { ...parseEnv({}), devScenariosEnabled: true, isPublicDeployment: true };
    expect(() => assertDevToolEnabled("scenarios", env)).toThrow(/not enabled/);
    expect(() =>
      assertDevToolEnabled("scenarios", { ...env, isPublicDeployment: false }),
    ).not.toThrow();
  });
});

describe("expired-access-token (no flag: an expired token grants nothing)", () => {
  it("without AUTH_DEV_SCENARIOS: a real token of this session that the real verifier refuses as expired", async () => {
    const { client, accessToken } = await signUp();
    const cookieBefore = client.refreshToken!;
    const before = await sessionRowOf(cookieBefore);
    const res = await post(
      client,
      expiredTokenRoute,
      "/api/auth/expired-access-token",
      accessToken,
    );
    expect(res.status).toBe(200);
    expect(res.setCookies).toEqual([]);
    const expired = res.body.accessToken as string;

    const answer = await client.call(me, "/api/me", { bearer: expired });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("token_expired");
    expect(decodeProtectedHeader(expired)).toEqual(decodeProtectedHeader(accessToken));
    const [claims, original] = [decodeJwt(expired), decodeJwt(accessToken)];
    expect(claims).toMatchObject({ sub: original.sub, sid: original.sid, iss: original.iss });
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(claims.exp! * 1000).toBeLessThan(Date.now() - 4_000);
    expect(Date.parse(res.body.accessTokenExpiresAt)).toBe(claims.exp! * 1000);
    // The session itself is untouched: no rotation, no new cookie.
    expect(await sessionRowOf(cookieBefore)).toEqual(before);
  });

  it("needs a live access token: none, or an expired one, gets a 401 and no token", async () => {
    const { client, accessToken } = await signUp();
    const none = await new TestClient().call(expiredTokenRoute, "/api/auth/expired-access-token", {
      method: "POST",
    });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("token_missing");
    const first = await post(
      client,
      expiredTokenRoute,
      "/api/auth/expired-access-token",
      accessToken,
    );
    const again = await post(
      client,
      expiredTokenRoute,
      "/api/auth/expired-access-token",
      first.body.accessToken as string,
    );
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe("token_expired");
    expect(again.body.accessToken).toBeUndefined();
  });

  it("refuses a request another site started (403), like every POST", async () => {
    const { client, accessToken } = await signUp();
    const res = await client.call(expiredTokenRoute, "/api/auth/expired-access-token", {
      method: "POST",
      bearer: accessToken,
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("cross_site_request");
  });
});

describe("with AUTH_DEV_SCENARIOS=1", () => {
  it("capture, rotate, present the successor, replay: refresh_token_reused and the family is revoked", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "1" });
    const { client, accessToken } = await signUp();
    const capture = await post(
      client,
      captureRoute,
      "/api/auth/dev/capture-refresh-token",
      accessToken,
    );
    expect(capture.status).toBe(201);
    expect(capture.body).toMatchObject({ generation: 0 });
    expect(JSON.stringify(capture.body)).not.toContain(client.refreshToken);
    expect(capture.setCookies).toEqual([]);

    expect((await client.call(refresh, "/api/auth/refresh", { method: "POST" })).status).toBe(200);
    // Presenting the copy's successor ends the copy's grace; no waiting.
    expect((await client.call(refresh, "/api/auth/refresh", { method: "POST" })).status).toBe(200);
    const replay = await post(
      client,
      replayRoute,
      "/api/auth/dev/replay-refresh-token",
      accessToken,
      {
        captureId: capture.body.captureId,
      },
    );

    expect(replay.status).toBe(200);
    expect(replay.setCookies).toEqual([]);
    expect(replay.body.session).toMatchObject({
      status: "revoked",
      revokeReason: "refresh_token_reused",
    });
    expect(replay.body).toEqual({
      session: expect.any(Object),
      capturedGeneration: 0,
      verdict: {
        accepted: false,
        status: 401,
        code: "refresh_token_reused",
        message: expect.any(String),
      },
    });
    const session = await sessionRowOf(client.refreshToken!);
    expect(session.revokeReason).toBe("refresh_token_reused");
    // The victim's next refresh, with the newest cookie, is refused too.
    const victim = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(victim.body.error.code).toBe("refresh_token_reused");
    // Nothing more can be done with the revoked session's access token: instant revocation
    // refuses it before the capture is even looked up (a capture is replayed at most once anyway).
    await expect
      .poll(
        async () => {
          const again = await post(
            client,
            replayRoute,
            "/api/auth/dev/replay-refresh-token",
            accessToken,
            { captureId: capture.body.captureId },
          );
          return `${again.status} ${again.body.error.code}`;
        },
        { timeout: 1000, interval: 20 },
      )
      .toBe("401 session_revoked");
  });

  it("a replay inside the grace window is served (and nothing is revoked)", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "1" });
    const { client, accessToken } = await signUp();
    const capture = await post(
      client,
      captureRoute,
      "/api/auth/dev/capture-refresh-token",
      accessToken,
    );
    await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    const replay = await post(
      client,
      replayRoute,
      "/api/auth/dev/replay-refresh-token",
      accessToken,
      {
        captureId: capture.body.captureId,
      },
    );
    expect(replay.body.verdict).toEqual({ accepted: true, via: "grace", generation: 1 });
    expect((await sessionRowOf(client.refreshToken!)).revokedAt).toBeNull();
  });

  it("captures are per session: another session's cookie or capture id is refused", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "1" });
    const alice = await signUp();
    const bob = await signUp();
    const mixed = await alice.client.call(captureRoute, "/api/auth/dev/capture-refresh-token", {
      method: "POST",
      bearer: alice.accessToken,
      refreshToken: bob.client.refreshToken,
    });
    expect(mixed.status).toBe(409);
    expect(mixed.body.error.code).toBe("refresh_cookie_mismatch");

    const bobs = await post(
      bob.client,
      captureRoute,
      "/api/auth/dev/capture-refresh-token",
      bob.accessToken,
    );
    const stolen = await post(
      alice.client,
      replayRoute,
      "/api/auth/dev/replay-refresh-token",
      alice.accessToken,
      {
        captureId: bobs.body.captureId,
      },
    );
    expect(stolen.status).toBe(404);
    expect(stolen.body.error.code).toBe("capture_not_found");
  });

  it("lose-refresh-response: rotates for real, answers without cookie or token; the retry inside the grace window keeps the session", async () => {
    restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "1" });
    const { client, accessToken } = await signUp();
    const oldCookie = client.refreshToken!;
    const lost = await post(client, loseRoute, "/api/auth/dev/lose-refresh-response", accessToken);

    expect(lost.status).toBe(200);
    expect(lost.body).toEqual({ spentGeneration: 0, headGeneration: 1, via: "rotated" });
    expect(lost.setCookies).toEqual([]);
    expect(JSON.stringify(lost.body)).not.toMatch(/eyJ/);
    expect(client.refreshToken).toBe(oldCookie);

    const retry = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(retry.status).toBe(200);
    const view = await client.call(currentSession, "/api/auth/sessions/current", {
      bearer: retry.body.accessToken,
    });
    expect(view.body.session.status).toBe("active");
    expect(
      view.body.session.tokens.map((t: { issuedVia: string; state: string }) => [
        t.issuedVia,
        t.state,
      ]),
    ).toEqual(
      expect.arrayContaining([
        // The retry's sibling is the one current token; the lost answer's token was never delivered.
        ["grace", "current"],
        ["rotation", "superseded"],
        ["login", "rotated"],
      ]),
    );
    // The tree marks exactly one token current: the sibling the retry was just given.
    expect(
      view.body.session.tokens.filter((t: { state: string }) => t.state === "current"),
    ).toHaveLength(1);
  });
});
