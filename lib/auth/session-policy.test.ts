/**
 * Per-session policy: overrides only ever shorten, and a shortened access token differs from a
 * default one in `exp` alone (same header, same claims, accepted by the real verifier).
 */
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  defaultSessionPolicy,
  effectiveSessionPolicy,
  signAccessTokenForSession,
} from "@/lib/auth/session-policy";
import { isSessionPolicyPanelEnabled } from "@/lib/dev/gate";
import { signAccessToken, verifyAccessToken } from "@/lib/auth/tokens";
import { getEnv, parseEnv } from "@/lib/env";
import { buildSessionPolicySchema } from "@/lib/validation/session-policy";
import { setEnv, useTestDatabase } from "@/test/harness";

const NO_OVERRIDES = {
  accessTokenTtlSeconds: null,
  refreshGraceSeconds: null,
  idleTimeoutSeconds: null,
};

let restoreEnv: () => void = () => {};
beforeAll(async () => {
  await useTestDatabase();
});
afterEach(() => {
  restoreEnv();
  restoreEnv = () => {};
});

describe("effectiveSessionPolicy", () => {
  it("is the server default where nothing is overridden", () => {
    expect(effectiveSessionPolicy(NO_OVERRIDES)).toEqual(defaultSessionPolicy());
    expect(defaultSessionPolicy()).toEqual({
      accessTokenTtlSeconds: 300,
      refreshGraceSeconds: 300,
      idleTimeoutSeconds: 7 * 24 * 3600,
    });
  });

  it("never exceeds the current default, even for an override stored under a larger one", () => {
    const session = { accessTokenTtlSeconds: 200, refreshGraceSeconds: 0, idleTimeoutSeconds: 60 };
    expect(effectiveSessionPolicy(session)).toEqual(session);
    restoreEnv = setEnv({ ACCESS_TOKEN_TTL_SECONDS: "100", REFRESH_GRACE_SECONDS: "5" });
    expect(effectiveSessionPolicy(session)).toEqual({
      accessTokenTtlSeconds: 100,
      refreshGraceSeconds: 0,
      idleTimeoutSeconds: 60,
    });
  });
});

describe("buildSessionPolicySchema", () => {
  const schema = () => buildSessionPolicySchema(defaultSessionPolicy());

  it("accepts shorter lifetimes and nulls (back to the default)", () => {
    const input = { accessTokenTtlSeconds: 20, refreshGraceSeconds: 0, idleTimeoutSeconds: null };
    expect(schema().parse(input)).toEqual(input);
  });

  it.each([
    ["a longer access token", { accessTokenTtlSeconds: 301 }],
    ["a longer grace window", { refreshGraceSeconds: 301 }],
    ["a longer idle timeout", { idleTimeoutSeconds: 7 * 24 * 3600 + 1 }],
    ["an access token under 5 s", { accessTokenTtlSeconds: 4 }],
    ["a negative grace window", { refreshGraceSeconds: -1 }],
    ["fractions", { idleTimeoutSeconds: 60.5 }],
    ["strings", { accessTokenTtlSeconds: "20" }],
  ])("refuses %s", (_label, change) => {
    expect(schema().safeParse({ ...NO_OVERRIDES, ...change }).success).toBe(false);
  });

  it("on a server whose default is below the floor, allows only that default", () => {
    const tiny = buildSessionPolicySchema({ ...defaultSessionPolicy(), accessTokenTtlSeconds: 3 });
    expect(tiny.safeParse({ ...NO_OVERRIDES, accessTokenTtlSeconds: 3 }).success).toBe(true);
    expect(tiny.safeParse({ ...NO_OVERRIDES, accessTokenTtlSeconds: 5 }).success).toBe(false);
    expect(tiny.safeParse({ ...NO_OVERRIDES, accessTokenTtlSeconds: 2 }).success).toBe(false);
  });

  it("refuses unknown fields and missing ones", () => {
    expect(schema().safeParse({ ...NO_OVERRIDES, absoluteTimeoutSeconds: 10 }).success).toBe(false);
    expect(schema().safeParse({ accessTokenTtlSeconds: 20 }).success).toBe(false);
  });
});

describe("signAccessTokenForSession", () => {
  const subject = (accessTokenTtlSeconds: number | null) => ({
    userId: crypto.randomUUID(),
    session: { id: crypto.randomUUID(), ...NO_OVERRIDES, accessTokenTtlSeconds },
  });

  it("on the default policy is exactly signAccessToken's token", async () => {
    const { accessToken, expiresIn } = await signAccessTokenForSession(subject(null));
    expect(expiresIn).toBe(300);
    const claims = decodeJwt(accessToken);
    expect(claims.exp! - claims.iat!).toBe(300);
  });

  it("with a shorter lifetime differs only in exp, and the real verifier accepts it", async () => {
    const shortened = subject(20);
    const short = await signAccessTokenForSession(shortened);
    const normal = await signAccessToken({
      userId: shortened.userId,
      sessionId: shortened.session.id,
    });

    expect(short.expiresIn).toBe(20);
    expect(decodeProtectedHeader(short.accessToken)).toEqual(
      decodeProtectedHeader(normal.accessToken),
    );
    const shortClaims = decodeJwt(short.accessToken);
    const normalClaims = decodeJwt(normal.accessToken);
    expect(Object.keys(shortClaims).sort()).toEqual(Object.keys(normalClaims).sort());
    expect(shortClaims).toMatchObject({
      sub: normalClaims.sub,
      sid: normalClaims.sid,
      iss: normalClaims.iss,
      aud: normalClaims.aud,
    });
    expect(shortClaims.iat).toBeGreaterThanOrEqual(normalClaims.iat! - 1);
    expect(shortClaims.exp! - shortClaims.iat!).toBe(20);
    expect(short.expiresAt.getTime()).toBe(shortClaims.exp! * 1000);
    await expect(verifyAccessToken(short.accessToken)).resolves.toMatchObject({
      sid: shortened.session.id,
    });
  });
});

describe("isSessionPolicyPanelEnabled", () => {
  it("is on exactly when the inspector's scenarios are (a local server by default)", () => {
    expect(isSessionPolicyPanelEnabled(getEnv())).toBe(true); // APP_URL http://localhost:3000
    expect(isSessionPolicyPanelEnabled(parseEnv({ NODE_ENV: "development" }))).toBe(true);
    expect(isSessionPolicyPanelEnabled(parseEnv({ AUTH_DEV_SCENARIOS: "0" }))).toBe(false);
    expect(
      isSessionPolicyPanelEnabled(parseEnv({ NODE_ENV: "production", AUTH_SIGNING_KEYS: "{}" })),
    ).toBe(false);
    expect(
      isSessionPolicyPanelEnabled(
        parseEnv({ NODE_ENV: "production", APP_URL: "http://localhost:3000" }),
      ),
    ).toBe(true);
  });

  it("is off on a public deployment, even in development", () => {
    const env = parseEnv({
      NODE_ENV: "development",
      APP_URL: "https://auth.example.com",
      AUTH_SIGNING_KEYS: "{}",
    });
    expect(isSessionPolicyPanelEnabled(env)).toBe(false);
  });
});
