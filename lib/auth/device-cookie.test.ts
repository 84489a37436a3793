/**
 * The device cookie's token is signed with node:crypto's HMAC (lib/auth/device-cookie.ts
 * `signDeviceToken`) and read with jose's `jwtVerify`. These tests pin that the token is what
 * jose's own SignJWT produced before (header, claims, a signature jose accepts with the MAC key)
 * and that every check of the reading side still bites: another account, a changed claim, a
 * changed signature, another key, an expired cookie.
 */
import { decodeProtectedHeader, decodeJwt, jwtVerify } from "jose";
import { NextResponse } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWithClockOffset } from "@/lib/auth/clock";
import {
  DEVICE_COOKIE_MAX_AGE_SECONDS,
  deviceCookieName,
  readDeviceId,
  setDeviceCookie,
} from "@/lib/auth/device-cookie";
import { generateSigningJwk, getSigningKeys } from "@/lib/auth/keys";
import { forgetSigningKeys } from "@/lib/dev/process-state";
import { setEnv } from "@/test/harness";

const APP = "http://localhost:3000";
const email = "device@example.test";
let restore: () => void = () => {};

async function issue(forEmail = email): Promise<{ name: string; value: string }> {
  const request = new Request(`${APP}/api/auth/login`, { method: "POST" });
  const response = NextResponse.json({});
  await setDeviceCookie(response, request, forEmail);
  const cookie = response.cookies.get(deviceCookieName(request, forEmail));
  if (!cookie) throw new Error("no device cookie set");
  return { name: cookie.name, value: cookie.value };
}

function presenting(cookie: { name: string; value: string }): Request {
  return new Request(`${APP}/api/auth/login`, {
    method: "POST",
    headers: { cookie: `${cookie.name}=${cookie.value}` },
  });
}

beforeAll(async () => {
  restore = setEnv({
    APP_URL: APP,
    AUTH_SIGNING_KEYS: JSON.stringify({ keys: [await generateSigningJwk()] }),
  });
  forgetSigningKeys();
});
afterAll(() => {
  restore();
  forgetSigningKeys();
});

describe("device cookie token", () => {
  it("is an HS256 device+jwt that jose verifies with the signer's MAC key", async () => {
    const { value } = await issue();
    const { signer, macKeys } = await getSigningKeys();
    expect(decodeProtectedHeader(value)).toEqual({
      alg: "HS256",
      kid: signer.kid,
      typ: "device+jwt",
    });
    const { payload } = await jwtVerify(value, macKeys.get(signer.kid)!, {
      algorithms: ["HS256"],
      issuer: APP,
      audience: `${APP}/api/auth/login`,
      typ: "device+jwt",
    });
    expect(payload.exp! - payload.iat!).toBe(DEVICE_COOKIE_MAX_AGE_SECONDS);
    expect(payload.jti).toMatch(/^[\w-]{22}$/);
    expect(JSON.stringify(payload)).not.toContain(email);
  });

  it("gives back its device id for the same account, and a new id each time", async () => {
    const first = await issue();
    const second = await issue();
    expect(await readDeviceId(presenting(first), email)).toBe(decodeJwt(first.value).jti);
    expect(await readDeviceId(presenting(second), email)).toBe(decodeJwt(second.value).jti);
    expect(decodeJwt(first.value).jti).not.toBe(decodeJwt(second.value).jti);
  });

  it("is ignored for another account, with a changed claim or signature, or expired", async () => {
    const cookie = await issue();
    const [header, payload, signature] = cookie.value.split(".") as [string, string, string];
    // Another account's cookie under this account's name.
    const other = await issue("other@example.test");
    expect(
      await readDeviceId(presenting({ name: cookie.name, value: other.value }), email),
    ).toBeNull();
    // A claim changed (a longer expiry), the signature kept.
    const claims = { ...decodeJwt(cookie.value), exp: 9_999_999_999 };
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    expect(await readDeviceId(presenting({ ...cookie, value: forged }), email)).toBeNull();
    // The signature's last character changed.
    const flipped = `${header}.${payload}.${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`;
    expect(await readDeviceId(presenting({ ...cookie, value: flipped }), email)).toBeNull();
    // Expired: the clock moved past its Max-Age.
    const later = (DEVICE_COOKIE_MAX_AGE_SECONDS + 60) * 1000;
    expect(
      await runWithClockOffset(later, () => readDeviceId(presenting(cookie), email)),
    ).toBeNull();
    expect(await readDeviceId(presenting(cookie), email)).toBe(decodeJwt(cookie.value).jti);
  });

  it("is ignored once the key that signed it is gone", async () => {
    const cookie = await issue();
    const again = setEnv({
      AUTH_SIGNING_KEYS: JSON.stringify({ keys: [await generateSigningJwk()] }),
    });
    forgetSigningKeys();
    try {
      expect(await readDeviceId(presenting(cookie), email)).toBeNull();
    } finally {
      again();
      forgetSigningKeys();
    }
  });
});
