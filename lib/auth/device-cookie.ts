import "server-only";

/**
 * Device cookies: OWASP's answer to "an attacker who guesses at an account locks its owner out"
 * (https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies).
 *
 * After a correct password (login or registration) the browser gets a cookie that says "this
 * browser has signed in to this account": a JWT (`typ: device+jwt`, HS256) signed with a secret
 * derived from the access-token signing key (lib/auth/keys.ts `macKeys`: nothing to configure,
 * and nothing another service could verify with the public JWKS), holding a random device id
 * (`jti`) and a hash of the account's email (`acct`), never the email itself. A later login to that account that carries it is
 * counted on that device's own small counter (lib/auth/throttle.ts, `login:device`, 5 per
 * 15 min) instead of the account's, its address's and the pair's: guesses from anywhere else
 * cannot lock this browser out, and a stolen cookie buys its thief only that device's 5 guesses
 * per window. Every correct password issues a new device id (the old one's counter is simply
 * never used again).
 *
 * One cookie per account and browser: the name carries a short hash of the email
 * (`__Secure-device_<16 hex>`), so several accounts signed in from one browser each keep theirs.
 * HttpOnly, SameSite=Strict, Path=/api/auth/login (sent with nothing else), Secure with the same
 * rule as the refresh cookie (lib/auth/cookies.ts), Max-Age DEVICE_COOKIE_MAX_AGE_SECONDS.
 *
 * IMPORTANT: the cookie proves only that this browser once knew the password; it never lets a
 * login skip the password. A cookie that does not verify (another account's, a forged or expired
 * one, one signed by a key that has since been removed) is ignored: the attempt is counted as any
 * other client's. It cannot be taken for an access token: HMAC, not the JWKS's keys, another
 * `typ` and another audience.
 */
import { createHash, randomBytes } from "node:crypto";
import { SignJWT, jwtVerify } from "jose";
import type { NextResponse } from "next/server";
import { currentTime } from "@/lib/auth/clock";
import { acceptsSecureCookies, parseCookieValues } from "@/lib/auth/cookies";
import { getSigningKeys } from "@/lib/auth/keys";
import { getEnv } from "@/lib/env";

/** How long a browser stays "one that has signed in here before" without signing in again. */
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 180 * 24 * 60 * 60;
export const DEVICE_COOKIE_PATH = "/api/auth/login";
const DEVICE_TOKEN_TYPE = "device+jwt";
const DEVICE_TOKEN_ALG = "HS256";

function accountTag(email: string): string {
  return createHash("sha256").update(`device-cookie:${email}`).digest("base64url");
}

function deviceAudience(): string {
  return `${getEnv().appUrl}${DEVICE_COOKIE_PATH}`;
}

/** The cookie's name for this account on this request's origin. */
export function deviceCookieName(request: Request, email: string): string {
  const hex = createHash("sha256").update(`device-cookie-name:${email}`).digest("hex");
  return `${acceptsSecureCookies(request) ? "__Secure-" : ""}device_${hex.slice(0, 16)}`;
}

/**
 * The device id of this browser's valid device cookie for `email`, or null (none, or none that
 * verifies: such an attempt is counted as any other client's).
 *
 * @example
 * const deviceId = await readDeviceId(request, body.email);
 */
export async function readDeviceId(request: Request, email: string): Promise<string | null> {
  const values =
    parseCookieValues(request.headers.get("cookie")).get(deviceCookieName(request, email)) ?? [];
  if (values.length === 0) return null;
  const { macKeys } = await getSigningKeys();
  const acct = accountTag(email);
  for (const value of values.slice(0, 4)) {
    try {
      const { payload } = await jwtVerify(
        value,
        (header) => {
          const key = typeof header.kid === "string" ? macKeys.get(header.kid) : undefined;
          if (!key) throw new Error("unknown key");
          return cryptoKeyOf(key);
        },
        {
          algorithms: [DEVICE_TOKEN_ALG],
          issuer: getEnv().appUrl,
          audience: deviceAudience(),
          typ: DEVICE_TOKEN_TYPE,
          requiredClaims: ["exp", "jti", "acct"],
          currentDate: currentTime(),
        },
      );
      if (payload.acct === acct && typeof payload.jti === "string" && payload.jti.length <= 64) {
        return payload.jti;
      }
    } catch {
      // Not ours, not this account's, or expired: the next value, else none.
    }
  }
  return null;
}

/**
 * The MAC key as a Web Crypto key, imported once per key (non-extractable, HMAC SHA-256): given
 * raw bytes or a KeyObject, jose imports the key again for every signature and every check
 * (62–92 µs per HS256 signature against 44 µs with the imported key, docs/benchmark.md).
 */
const cryptoKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
function cryptoKeyOf(key: Uint8Array): Promise<CryptoKey> {
  let imported = cryptoKeys.get(key);
  if (!imported) {
    imported = crypto.subtle.importKey(
      "raw",
      new Uint8Array(key),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    cryptoKeys.set(key, imported);
  }
  return imported;
}

/**
 * Gives this browser a new device cookie for `email` (after a correct password).
 *
 * @example
 * await setDeviceCookie(response, request, body.email);
 */
export async function setDeviceCookie(
  response: NextResponse,
  request: Request,
  email: string,
): Promise<void> {
  const { signer, macKeys } = await getSigningKeys();
  const key = macKeys.get(signer.kid);
  if (!key) throw new Error("the signing key has no MAC key");
  const now = Math.floor(currentTime().getTime() / 1000);
  const token = await new SignJWT({ acct: accountTag(email) })
    .setProtectedHeader({ alg: DEVICE_TOKEN_ALG, kid: signer.kid, typ: DEVICE_TOKEN_TYPE })
    .setIssuer(getEnv().appUrl)
    .setAudience(deviceAudience())
    .setJti(randomBytes(16).toString("base64url"))
    .setIssuedAt(now)
    .setExpirationTime(now + DEVICE_COOKIE_MAX_AGE_SECONDS)
    .sign(await cryptoKeyOf(key));
  response.cookies.set({
    name: deviceCookieName(request, email),
    value: token,
    httpOnly: true,
    secure: acceptsSecureCookies(request),
    sameSite: "strict",
    path: DEVICE_COOKIE_PATH,
    maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
  });
}
