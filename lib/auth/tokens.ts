import "server-only";

/**
 * Access tokens: short-lived JWTs (RFC 9068 profile) that protected routes
 * verify without touching the database.
 *
 * Verification pins everything an attacker might try to choose: the algorithm
 * (only Ed25519), the key (looked up by `kid` among our own keys, never taken
 * from the token: `jwk`/`jku`/`x5u` headers are ignored), `typ: at+jwt` (so no
 * other JWT of ours passes as an access token), issuer, audience, and the
 * presence of exp/iat/sub/sid/jti.
 */
import { randomUUID } from "node:crypto";
import { type JWTPayload, SignJWT, errors as joseErrors, jwtVerify } from "jose";
import { currentTime, toEpochSeconds } from "@/lib/auth/clock";
import { AccessTokenExpired, AccessTokenInvalid } from "@/lib/auth/errors";
import { ACCESS_TOKEN_ALG, getSigningKeys } from "@/lib/auth/keys";
import { getEnv } from "@/lib/env";

export const ACCESS_TOKEN_TYPE = "at+jwt";
/** Anything longer is refused before it is parsed. Ours are about 400 bytes. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;
/** Tolerated drift between our own instances' clocks (NTP keeps them within milliseconds). */
const CLOCK_TOLERANCE_SECONDS = 1;

export type AccessTokenClaims = JWTPayload & {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
};

export type SignedAccessToken = {
  accessToken: string;
  expiresAt: Date;
  /** Lifetime in seconds, so clients with a wrong clock can still time a refresh. */
  expiresIn: number;
};

/**
 * Signs an access token for a user's session.
 *
 * @example
 * const { accessToken, expiresAt } = await signAccessToken({ userId, sessionId });
 */
export async function signAccessToken(subject: {
  userId: string;
  sessionId: string;
}): Promise<SignedAccessToken> {
  const env = getEnv();
  const { signer } = await getSigningKeys();
  const issuedAt = toEpochSeconds(currentTime());
  const expiresIn = env.ACCESS_TOKEN_TTL_SECONDS;
  const accessToken = await new SignJWT({ sid: subject.sessionId })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: signer.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(env.appUrl)
    .setAudience(env.appUrl)
    .setSubject(subject.userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + expiresIn)
    .setJti(randomUUID())
    .sign(signer.key);
  return { accessToken, expiresAt: new Date((issuedAt + expiresIn) * 1000), expiresIn };
}

/**
 * Verifies an access token and returns its claims.
 *
 * Throws `AccessTokenExpired` for a token that was valid but is past `exp`,
 * and `AccessTokenInvalid` for every other failure (with one generic message,
 * so the answer teaches an attacker nothing).
 *
 * @example
 * const claims = await verifyAccessToken(bearer); // { sub, sid, jti, iat, exp, ... }
 */
export async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
  if (token.length > MAX_ACCESS_TOKEN_LENGTH) throw new AccessTokenInvalid();
  const env = getEnv();
  const { verifiers } = await getSigningKeys();
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = typeof header.kid === "string" ? verifiers.get(header.kid) : undefined;
        if (!key) throw new AccessTokenInvalid();
        return key;
      },
      {
        algorithms: [ACCESS_TOKEN_ALG],
        issuer: env.appUrl,
        audience: env.appUrl,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["exp", "iat", "sub", "sid", "jti"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: currentTime(),
      },
    );
    const nowSeconds = toEpochSeconds(currentTime());
    if (typeof payload.iat !== "number" || payload.iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) {
      throw new AccessTokenInvalid();
    }
    if (typeof payload.sid !== "string" || typeof payload.sub !== "string") {
      throw new AccessTokenInvalid();
    }
    return payload as AccessTokenClaims;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new AccessTokenExpired();
    // jose's own errors, our AccessTokenInvalid, and the plain TypeErrors some
    // malformed inputs provoke all end here: one answer for all of them.
    throw new AccessTokenInvalid();
  }
}
