/**
 * Protected routes refuse every access token that is not a fresh one of ours,
 * with the codes a client uses to decide whether to refresh.
 */
import { SignJWT, generateKeyPair } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as jwks } from "@/app/.well-known/jwks.json/route";
import { POST as register } from "@/app/api/auth/register/route";
import { GET as me } from "@/app/api/me/route";
import { getSigningKeys } from "@/lib/auth/keys";
import { APP_ORIGIN, TestClient, keyOfAccess, uniqueEmail, useTestDatabase } from "@/test/harness";

let accessToken: string;
let userId: string;
let sessionId: string;

beforeAll(async () => {
  await useTestDatabase();
  const res = await new TestClient().call(register, "/api/auth/register", {
    json: { email: uniqueEmail("tokens"), password: "correct horse battery" },
  });
  accessToken = res.body.accessToken;
  userId = res.body.user.id;
  const [, payload] = accessToken.split(".");
  sessionId = JSON.parse(Buffer.from(payload!, "base64url").toString()).sid;
});
afterEach(() => vi.useRealTimers());

async function callMe(authorization?: string) {
  return new TestClient().call(me, "/api/me", {
    headers: authorization === undefined ? {} : { authorization },
  });
}

function expectRefreshable401(res: { status: number; headers: Headers; body: any }, code: string) {
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe(code);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
}

describe("access token verification", () => {
  it("accepts our fresh token and carries the claims the contract names", async () => {
    // As the browser sends it: `Authorization: DPoP` with a proof by the session's key.
    const res = await new TestClient().call(me, "/api/me", { bearer: accessToken });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(userId);

    const [headerPart, payloadPart] = accessToken.split(".");
    const header = JSON.parse(Buffer.from(headerPart!, "base64url").toString());
    const payload = JSON.parse(Buffer.from(payloadPart!, "base64url").toString());
    const { signer } = await getSigningKeys();
    expect(header).toEqual({ alg: signer.alg, kid: signer.kid, typ: "at+jwt" });
    expect(signer.alg).toBe(process.env.ACCESS_TOKEN_ALG || "ES256");
    expect(payload).toMatchObject({
      iss: APP_ORIGIN,
      aud: APP_ORIGIN,
      sub: userId,
      sid: sessionId,
    });
    expect(payload.exp - payload.iat).toBe(300);
    expect(typeof payload.jti).toBe("string");
    // Bound to the key the registration's proof was signed with (RFC 9449 §6.1).
    expect(payload.cnf).toEqual({ jkt: await (await keyOfAccess(accessToken))!.thumbprint() });
  });

  it("answers a missing token with token_missing", async () => {
    expectRefreshable401(await callMe(), "token_missing");
  });

  it("answers an expired token with token_expired", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 302_000); // past exp and the clock tolerance
    expectRefreshable401(await callMe(`Bearer ${accessToken}`), "token_expired");
  });

  it("answers a tampered payload with token_invalid", async () => {
    const [h, p, s] = accessToken.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: crypto.randomUUID() })).toString(
      "base64url",
    );
    expectRefreshable401(await callMe(`Bearer ${h}.${forged}.${s}`), "token_invalid");
  });

  it("answers a token signed with another key (same kid) with token_invalid", async () => {
    const { signer } = await getSigningKeys();
    const { privateKey } = await generateKeyPair(signer.alg);
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt" })
      .setIssuer(APP_ORIGIN)
      .setAudience(APP_ORIGIN)
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti(crypto.randomUUID())
      .sign(privateKey);
    expectRefreshable401(await callMe(`Bearer ${forged}`), "token_invalid");
  });

  it("answers malformed headers and strings with token_invalid, never a 500", async () => {
    for (const value of [
      "Bearer",
      "Basic abc",
      "Bearer a.b",
      "Bearer ....",
      `Bearer ${"a".repeat(5000)}`,
    ]) {
      expectRefreshable401(await callMe(value), "token_invalid");
    }
  });
});

describe("JWKS", () => {
  it("publishes the public signing key, and nothing private", async () => {
    const res = await new TestClient().call(jwks, "/.well-known/jwks.json");
    expect(res.status).toBe(200);
    const { signer } = await getSigningKeys();
    expect(res.body.keys).toHaveLength(1);
    expect(signer.alg).toBe("ES256"); // the default
    // Exactly the public members, with kid and alg: what jwks-rsa, PyJWT's PyJWKClient,
    // golang-jwt's keyfunc and nimbus pick a key by.
    expect(res.body.keys[0]).toEqual({
      kty: "EC",
      crv: "P-256",
      x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      y: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      kid: signer.kid,
      alg: "ES256",
      use: "sig",
    });
  });
});
