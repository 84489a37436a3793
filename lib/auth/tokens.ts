import "server-only";

/**
 * Access tokens: short-lived JWTs (RFC 9068 profile) that protected routes
 * verify without touching the database.
 *
 * Verification pins everything an attacker might try to choose: the key
 * (looked up by `kid` among our own keys, never taken from the token:
 * `jwk`/`jku`/`x5u` headers are ignored), the algorithm (the one that key was
 * configured with; a token naming any other is refused before its signature
 * is looked at, see lib/auth/keys.ts), `typ: at+jwt` (so no
 * other JWT of ours passes as an access token), issuer, audience, and the
 * presence of exp/iat/sub/sid/jti.
 *
 * The verified-token cache. A client sends the same access token with every
 * request for its whole lifetime, and checking the same signature over
 * the same bytes again can only give the same answer. So after a token passes
 * full verification, its claims are remembered under the exact token string:
 *
 *   MISS  token not in the cache → full verification (signature, header,
 *         issuer, audience, required claims, time); only a success is stored.
 *   HIT   byte-identical token → no signature check, but the time checks
 *         (exp, nbf, iat against "now") run again on every request, so a
 *         cached token expires at exactly the same second as an uncached one.
 *
 * What keeps it sound:
 * - The key is the whole compact token, compared by the cache as a string: a
 *   token that differs in any byte (a flipped signature bit, an edited claim)
 *   is a different key, is never served from the cache, and is verified in
 *   full. Failures are never cached.
 * - Entries belong to one key set and one issuer: when getSigningKeys()
 *   returns a different set (a key added or removed) or APP_URL changes, the
 *   cache starts empty, so a removed key's tokens stop at once.
 * - Bounded: at most ACCESS_TOKEN_CACHE_SIZE entries, least recently used
 *   evicted first (`lru-cache`); an expired entry is dropped when it is next seen.
 *   ACCESS_TOKEN_CACHE_SIZE=0 turns the cache off.
 * - It is per process and safe to lose: a restart or another instance only
 *   means one more full verification.
 */
import { randomUUID } from "node:crypto";
import { type JWTPayload, SignJWT, errors as joseErrors, jwtVerify } from "jose";
import { LRUCache } from "lru-cache";
import { currentTime, toEpochSeconds } from "@/lib/auth/clock";
import { AccessTokenExpired, AccessTokenInvalid } from "@/lib/auth/errors";
import { type SigningKeySet, getSigningKeys } from "@/lib/auth/keys";
import { type Env, getEnv } from "@/lib/env";

export const ACCESS_TOKEN_TYPE = "at+jwt";
/** Anything longer is refused before it is parsed. Ours are about 400 bytes. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;
/**
 * A compact JWS: three base64url parts, nothing else. jose's decoder would
 * also skip whitespace inside a part; refusing that up front keeps one token
 * one string (and one cache key).
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** The largest time a JavaScript Date can represent, in seconds (ECMA-262 §21.4.1.22). */
const MAX_EPOCH_SECONDS = 8.64e12;
/** Tolerated drift between our own instances' clocks (NTP keeps them within milliseconds). */
const CLOCK_TOLERANCE_SECONDS = 1;

/** Read-only: one verified token's claims may be shared by many requests (see the cache above). */
export type AccessTokenClaims = Readonly<
  JWTPayload & {
    sub: string;
    sid: string;
    jti: string;
    iat: number;
    exp: number;
    /**
     * RFC 9449 §6.1: present when the token is bound to the session's device key; its holder
     * must send it as `Authorization: DPoP` with a proof by that key (lib/auth/authenticate.ts).
     */
    cnf?: { jkt: string };
  }
>;

/** An RFC 7638 SHA-256 thumbprint, base64url: 43 characters. */
const JKT_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export type SignedAccessToken = {
  accessToken: string;
  expiresAt: Date;
  /** Lifetime in seconds, so clients with a wrong clock can still time a refresh. */
  expiresIn: number;
};

/**
 * Signs an access token for a user's session. `ttlSeconds` may shorten the
 * lifetime (a per-session policy, see lib/auth/session-policy.ts), never
 * lengthen it beyond ACCESS_TOKEN_TTL_SECONDS. `jkt` binds it to a device key
 * (`cnf.jkt`, RFC 9449 §6.1): then it is accepted only with a proof by that key.
 *
 * @example
 * const { accessToken, expiresAt } = await signAccessToken({ userId, sessionId });
 */
export async function signAccessToken(subject: {
  userId: string;
  sessionId: string;
  ttlSeconds?: number;
  jkt?: string | null;
}): Promise<SignedAccessToken> {
  const env = getEnv();
  const { signer } = await getSigningKeys();
  const issuedAt = toEpochSeconds(currentTime());
  const expiresIn = Math.min(subject.ttlSeconds ?? Infinity, env.ACCESS_TOKEN_TTL_SECONDS);
  const accessToken = await new SignJWT({
    sid: subject.sessionId,
    ...(subject.jkt && { cnf: { jkt: subject.jkt } }),
  })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(env.appUrl)
    .setAudience(env.appUrl)
    .setSubject(subject.userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + expiresIn)
    .setJti(randomUUID())
    .sign(signer.key);
  return { accessToken, expiresAt: new Date((issuedAt + expiresIn) * 1000), expiresIn };
}

type VerificationCache = {
  /** The key set and issuer every entry was verified against. */
  keys: SigningKeySet;
  issuer: string;
  maxEntries: number;
  /** Token string → its verified claims; null when the cache is off (ACCESS_TOKEN_CACHE_SIZE=0). */
  entries: LRUCache<string, AccessTokenClaims> | null;
  hits: number;
  misses: number;
};

const globalForTokens = globalThis as typeof globalThis & {
  __verifiedAccessTokens?: VerificationCache;
};

type EnabledVerificationCache = VerificationCache & {
  entries: LRUCache<string, AccessTokenClaims>;
};

/** The cache for this key set and configuration (a new, empty one when either changed), or null when disabled. */
function verificationCacheFor(keys: SigningKeySet, env: Env): EnabledVerificationCache | null {
  const maxEntries = env.ACCESS_TOKEN_CACHE_SIZE;
  let cache = globalForTokens.__verifiedAccessTokens;
  if (
    !cache ||
    cache.keys !== keys ||
    cache.issuer !== env.appUrl ||
    cache.maxEntries !== maxEntries
  ) {
    const entries =
      maxEntries > 0 ? new LRUCache<string, AccessTokenClaims>({ max: maxEntries }) : null;
    cache = { keys, issuer: env.appUrl, maxEntries, entries, hits: 0, misses: 0 };
    globalForTokens.__verifiedAccessTokens = cache;
  }
  return cache.entries ? (cache as EnabledVerificationCache) : null;
}

/**
 * The checks whose answer changes with the clock, run on every request,
 * cached or not. `exp` and `nbf` follow jose's own rules (with the same
 * tolerance); `iat` in the future means a token we did not issue.
 */
function assertCurrentlyValid(claims: AccessTokenClaims, nowSeconds: number): void {
  if (claims.exp <= nowSeconds - CLOCK_TOLERANCE_SECONDS) throw new AccessTokenExpired();
  if (typeof claims.nbf === "number" && claims.nbf > nowSeconds + CLOCK_TOLERANCE_SECONDS) {
    throw new AccessTokenInvalid();
  }
  if (claims.iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) throw new AccessTokenInvalid();
}

/**
 * The time claims' shape, checked once at full verification: whole seconds that a Date can hold,
 * and a lifetime no longer than we ever issue. A token signed with our key but carrying
 * `exp: 1e300` (or `iat: -1e20`) would otherwise pass the comparisons above and break whatever
 * turns the claim into a Date later; it is refused like any other invalid token.
 */
function assertTimeClaimsInRange(claims: AccessTokenClaims, env: Env): void {
  const inRange = (value: unknown) =>
    Number.isSafeInteger(value) && Math.abs(value as number) <= MAX_EPOCH_SECONDS;
  if (!inRange(claims.iat) || !inRange(claims.exp)) throw new AccessTokenInvalid();
  if (claims.nbf !== undefined && !inRange(claims.nbf)) throw new AccessTokenInvalid();
  const lifetime = claims.exp - claims.iat;
  if (lifetime <= 0 || lifetime > env.ACCESS_TOKEN_TTL_SECONDS) throw new AccessTokenInvalid();
}

/**
 * Verifies an access token and returns its claims.
 *
 * Throws `AccessTokenExpired` for a token that was valid but is past `exp`,
 * and `AccessTokenInvalid` for every other failure (with one generic message,
 * so the answer teaches an attacker nothing). A token that already passed full
 * verification in this process skips only the signature check (see "The
 * verified-token cache" at the top of this module); the returned claims are
 * frozen, because they may be shared between requests.
 *
 * @example
 * const claims = await verifyAccessToken(bearer); // { sub, sid, jti, iat, exp, ... }
 */
export async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
  if (token.length > MAX_ACCESS_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
    throw new AccessTokenInvalid();
  }
  const env = getEnv();
  const keys = await getSigningKeys();
  const cache = verificationCacheFor(keys, env);
  const cached = cache?.entries.get(token);
  if (cache && cached) {
    cache.hits += 1;
    try {
      assertCurrentlyValid(cached, toEpochSeconds(currentTime()));
    } catch (error) {
      cache.entries.delete(token);
      throw error;
    }
    return cached;
  }
  if (cache) cache.misses += 1;
  const claims = await verifyAccessTokenFully(token, keys, env);
  cache?.entries.set(token, claims);
  return claims;
}

async function verifyAccessTokenFully(
  token: string,
  { verifiers, algorithms }: SigningKeySet,
  env: Env,
): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const entry = typeof header.kid === "string" ? verifiers.get(header.kid) : undefined;
        // IMPORTANT: the key decides the algorithm, never the token. Without this
        // check a set holding an ES256 and an Ed25519 key would let a token
        // pick either algorithm for either key's kid.
        if (!entry || header.alg !== entry.alg) throw new AccessTokenInvalid();
        return entry.key;
      },
      {
        algorithms,
        issuer: env.appUrl,
        audience: env.appUrl,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["exp", "iat", "sub", "sid", "jti"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: currentTime(),
      },
    );
    if (
      typeof payload.iat !== "number" ||
      typeof payload.exp !== "number" ||
      typeof payload.sid !== "string" ||
      typeof payload.sub !== "string" ||
      typeof payload.jti !== "string"
    ) {
      throw new AccessTokenInvalid();
    }
    const claims = payload as AccessTokenClaims;
    if (claims.cnf !== undefined) {
      const cnf: unknown = claims.cnf;
      const jkt = typeof cnf === "object" && cnf !== null ? (cnf as { jkt?: unknown }).jkt : null;
      if (typeof jkt !== "string" || !JKT_PATTERN.test(jkt)) throw new AccessTokenInvalid();
      Object.freeze(claims.cnf);
    }
    assertTimeClaimsInRange(claims, env);
    assertCurrentlyValid(claims, toEpochSeconds(currentTime()));
    if (Array.isArray(claims.aud)) Object.freeze(claims.aud);
    return Object.freeze(claims);
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired || error instanceof AccessTokenExpired) {
      throw new AccessTokenExpired();
    }
    // jose's own errors, our AccessTokenInvalid, and the plain TypeErrors some
    // malformed inputs provoke all end here: one answer for all of them.
    throw new AccessTokenInvalid();
  }
}

/**
 * How the verified-token cache is doing in this process (for tests and
 * diagnostics; holds no token).
 *
 * @example
 * const { entries, hits, misses } = getAccessTokenCacheStats();
 */
export function getAccessTokenCacheStats(): {
  entries: number;
  maxEntries: number;
  hits: number;
  misses: number;
} {
  const cache = globalForTokens.__verifiedAccessTokens;
  return {
    entries: cache?.entries?.size ?? 0,
    maxEntries: cache?.maxEntries ?? getEnv().ACCESS_TOKEN_CACHE_SIZE,
    hits: cache?.hits ?? 0,
    misses: cache?.misses ?? 0,
  };
}

/** Empties the verified-token cache and its counters. */
export function clearAccessTokenCache(): void {
  globalForTokens.__verifiedAccessTokens = undefined;
}
