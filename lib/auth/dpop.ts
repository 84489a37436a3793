import "server-only";

/**
 * Device binding: the proof that a request comes from the browser that holds the session's key.
 *
 * The browser makes an ECDSA P-256 key pair at sign-in (lib/client/device-key.ts), with its
 * private half non-extractable: script can sign with it, nobody can read it, so a copy of the
 * cookie jar or of the refresh cookie carries no key. Login and registration send a proof signed
 * by it; the session stores the key's RFC 7638 thumbprint (`sessions.dpop_jkt`), and every refresh
 * must carry a fresh proof by the same key. The proof has the shape of RFC 9449 (DPoP): a JWT in
 * the `DPoP` header with `typ: dpop+jwt`, the public key in its `jwk` header, and claims `htm`
 * (the method), `htu` (the URL without query), `iat`, a unique `jti` and the server's `nonce`.
 *
 * What each check stops:
 *   signature by the embedded key   a proof nobody holding the key made (jose's `jwtVerify`, the
 *                                   key imported once and cached: `embeddedKey`)
 *   jkt = the session's             a proof by the thief's own key (the session is then revoked:
 *                                   only someone with the cookie and without the key makes one)
 *   htm, htu                        a proof made for another request, here or on another server
 *   iat within IAT_WINDOW_SECONDS   a proof kept for later (clock-based, so wide)
 *   nonce (refresh only)            a proof made in advance: the nonce is the server's, and only
 *                                   valid for NONCE_WINDOW_SECONDS to twice that
 *   jti seen once (refresh only)    the same proof sent twice (recorded with the rotation it
 *                                   bought, in the same statement: lib/auth/session-statements.ts)
 *
 * The nonce is stateless: `window.HMAC(key, window)`, where `window` counts NONCE_WINDOW_SECONDS
 * of the real clock and the key is a random secret every instance reads from the database once
 * (`server_secrets`), so any instance accepts another's nonce with no shared state per request.
 * A proof's jti only needs remembering while its nonce can still be valid: `jtiExpiresAt`.
 *
 * Login and registration check the proof without a nonce, an `iat` window or a jti record: what
 * they prove is that the caller holds the key the session will be bound to, and a replayed login
 * proof still needs the password, and binds the session to a key the replayer does not hold. (So
 * a device whose clock is wrong can still sign in; its refreshes then take their time from the
 * server's `Date` header: lib/client/device-key.ts.)
 *
 * API requests (`verifyAccessTokenProof`, called by lib/auth/authenticate.ts): a bound access
 * token (`cnf.jkt`) comes with a proof too, naming it (`ath`); there no nonce, a 60 s `iat`
 * window and an in-process jti record (ARCHITECTURE.md, "Access tokens bound too": a database
 * row per read was measured at several times the whole check).
 *
 * IMPORTANT: DPOP_BINDING=off is the explicit switch back to bearer sessions: new sessions get no
 * thumbprint, and a session without one refreshes without a proof. A session that has one always
 * needs its proof, whatever the switch says.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  calculateJwkThumbprint,
  errors as joseErrors,
  importJWK,
  jwtVerify,
} from "jose";
import { LRUCache } from "lru-cache";
import { currentTime } from "@/lib/auth/clock";
import {
  DpopProofReplayed,
  DpopProofRequired,
  InvalidDpopProof,
  UseDpopNonce,
} from "@/lib/auth/errors";
import { HEADER_NAME } from "@/lib/contract";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";

/** A nonce is issued for the current window and accepted in it and the next one. */
export const NONCE_WINDOW_SECONDS = 300;
/** How far a proof's `iat` may be from the server's clock, either way. */
export const IAT_WINDOW_SECONDS = 300;
/** Longer than any proof this app's browser makes (about 400 characters). */
const MAX_PROOF_LENGTH = 2048;
const JTI_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const NONCE_SECRET_NAME = "dpop_nonce_key";

/**
 * Public keys already imported, by their coordinates, with their thumbprints. One key signs every
 * refresh of its session, and importing it (WebCrypto's importKey) cost more than the signature
 * check itself (measured: 0.36 ms a proof with jose's `EmbeddedJWK`, 0.14 ms with the key
 * cached; `npm run bench:dpop`). Public keys only: nothing secret is kept. A flood of new keys
 * only evicts, bounded by `max`.
 */
const importedKeys = new LRUCache<string, { key: CryptoKey; jkt: string }>({ max: 10_000 });

/**
 * jose's `EmbeddedJWK` with that cache: the key is the proof's own `jwk` header, which must be a
 * public P-256 key (a private part would mean the client leaked it; refuse rather than bind).
 */
async function embeddedKey(header: JWTHeaderParameters): Promise<CryptoKey> {
  const jwk = header.jwk as JWK | undefined;
  if (
    typeof jwk !== "object" ||
    jwk === null ||
    "d" in jwk ||
    jwk.kty !== "EC" ||
    jwk.crv !== "P-256" ||
    typeof jwk.x !== "string" ||
    typeof jwk.y !== "string"
  ) {
    throw new InvalidDpopProof();
  }
  const id = `${jwk.x}.${jwk.y}`;
  const known = importedKeys.get(id);
  if (known) return known.key;
  const publicJwk = { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
  const imported = {
    key: (await importJWK(publicJwk, "ES256")) as CryptoKey,
    jkt: await calculateJwkThumbprint(publicJwk, "sha256"),
  };
  importedKeys.set(id, imported);
  return imported.key;
}

/** A proof that passed every check except the ones the database makes (jti, the session's jkt). */
export type VerifiedProof = {
  /** RFC 7638 SHA-256 thumbprint of the key that signed it, base64url. */
  jkt: string;
  jti: string;
  /**
   * The proof's `iat`: when the device says it signed it (its clock, corrected by the server's
   * `Date` in the browser: lib/client/device-key.ts). Null when absent (a sign-in's proof need
   * not carry one). The rotation's late-duplicate rule compares it (lib/auth/sessions.ts).
   */
  issuedAt: Date | null;
  /** Until when the jti must be remembered: after that its nonce is no longer accepted anyway. */
  jtiExpiresAt: Date;
};

/** True unless DPOP_BINDING=off. */
export function isDpopBindingOn(): boolean {
  return getEnv().DPOP_BINDING === "on";
}

const globalForNonce = globalThis as typeof globalThis & { __dpopNonceKey?: Promise<Buffer> };

/**
 * The nonce key, created by the first instance that needs it and shared through the database.
 * A failed read is not cached (the next request tries again).
 */
function nonceKey(): Promise<Buffer> {
  globalForNonce.__dpopNonceKey ??= (async () => {
    const db = await getDb();
    await db.serverSecret.createMany({
      data: [{ name: NONCE_SECRET_NAME, value: randomBytes(32).toString("base64url") }],
      skipDuplicates: true,
    });
    const row = await db.serverSecret.findUniqueOrThrow({ where: { name: NONCE_SECRET_NAME } });
    return Buffer.from(row.value, "base64url");
  })().catch((error: unknown) => {
    globalForNonce.__dpopNonceKey = undefined;
    throw error;
  });
  return globalForNonce.__dpopNonceKey;
}

// The real clock, not the test clock (lib/auth/clock.ts): a nonce is a transport detail, and a
// test that moves the server's "now" by hours must not invalidate the browser's nonce.
const nonceWindowNow = () => Math.floor(Date.now() / 1000 / NONCE_WINDOW_SECONDS);

function macOf(key: Buffer, window: number): string {
  return createHmac("sha256", key).update(`dpop-nonce:${window}`).digest("base64url");
}

/**
 * A nonce for the `DPoP-Nonce` header of an answer. The client signs its next proofs with it.
 *
 * @example
 * response.headers.set(HEADER_NAME.dpopNonce, await issueDpopNonce());
 */
export async function issueDpopNonce(): Promise<string> {
  const window = nonceWindowNow();
  return `${window}.${macOf(await nonceKey(), window)}`;
}

/** The nonce's window when it is one of ours and still accepted, else null. */
async function acceptedNonceWindow(nonce: unknown): Promise<number | null> {
  if (typeof nonce !== "string") return null;
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(nonce);
  if (!match) return null;
  const window = Number(match[1]);
  const now = nonceWindowNow();
  if (window !== now && window !== now - 1) return null;
  const expected = Buffer.from(macOf(await nonceKey(), window));
  const given = Buffer.from(match[2] ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected) ? window : null;
}

/** `APP_URL`'s origin, parsed once per configuration. */
let appOrigin: { url: string; origin: string } | null = null;
function configuredOrigin(): string {
  const { appUrl } = getEnv();
  if (appOrigin?.url !== appUrl) appOrigin = { url: appUrl, origin: new URL(appUrl).origin };
  return appOrigin.origin;
}

/**
 * Whether `htu` names this request: its origin is APP_URL's (without APP_URL, the one the
 * browser used: the Host it sent, as the CSRF check allows), and its path is the request's. RFC 9449
 * §4.3: compared without query and fragment.
 */
function matchesRequest(htu: unknown, request: Request): boolean {
  if (typeof htu !== "string" || htu.length > 2048) return false;
  let url: URL;
  try {
    url = new URL(htu);
  } catch {
    return false;
  }
  const requested = new URL(request.url);
  if (url.pathname !== requested.pathname) return false;
  if (url.origin === configuredOrigin()) return true;
  // IMPORTANT: as for Origin (lib/http/csrf.ts), with APP_URL set only its origin is ours; the
  // request's Host counts only in development without one (a LAN address).
  if (getEnv().APP_URL) return false;
  const host = request.headers.get("host");
  return host !== null && url.origin === `${requested.protocol}//${host}`;
}

/** Near either the real clock or the request's (test) clock: they differ only in e2e runs. */
function isFreshIat(iat: unknown, windowSeconds = IAT_WINDOW_SECONDS): boolean {
  if (typeof iat !== "number" || !Number.isFinite(iat)) return false;
  const near = (nowMs: number) => Math.abs(iat - nowMs / 1000) <= windowSeconds;
  return near(Date.now()) || near(currentTime().getTime());
}

/**
 * The checks every proof gets, on any route: one compact JWS of sane length, `typ: dpop+jwt`,
 * ES256, a valid signature by its own embedded public P-256 key, and `htm`/`htu` naming this
 * request. Throws InvalidDpopProof.
 */
async function readProof(
  header: string,
  request: Request,
): Promise<{ jwk: JWK; payload: Record<string, unknown> }> {
  // Two DPoP headers arrive joined by a comma, which no compact JWT contains.
  if (header.length > MAX_PROOF_LENGTH || header.includes(",")) throw new InvalidDpopProof();
  let jwk: JWK;
  let payload: Record<string, unknown>;
  try {
    const verified = await jwtVerify(header, embeddedKey, {
      typ: "dpop+jwt",
      algorithms: ["ES256"],
    });
    jwk = verified.protectedHeader.jwk as JWK;
    payload = verified.payload;
  } catch (error) {
    if (
      error instanceof joseErrors.JOSEError ||
      error instanceof TypeError ||
      error instanceof InvalidDpopProof
    ) {
      throw new InvalidDpopProof();
    }
    throw error;
  }
  if (payload.htm !== request.method || !matchesRequest(payload.htu, request)) {
    throw new InvalidDpopProof("The DPoP proof was made for another request.");
  }
  return { jwk, payload };
}

const thumbprintOf = async (jwk: JWK) =>
  importedKeys.get(`${jwk.x}.${jwk.y}`)?.jkt ?? (await calculateJwkThumbprint(jwk, "sha256"));

/**
 * Verifies the request's `DPoP` proof (module comment: what each check stops). `nonce:
 * "required"` (the refresh) also demands a valid server nonce, answering `use_dpop_nonce` with a
 * fresh one in `DPoP-Nonce` when it is missing or old. Returns null when no proof was sent and
 * binding is off; throws DpopProofRequired / InvalidDpopProof / UseDpopNonce otherwise.
 *
 * The two checks that need the database, "this jti was never accepted" and "this is the
 * session's key", are the caller's: lib/auth/sessions.ts makes them in the rotation's statement.
 *
 * @example
 * const proof = await verifyDpopProof(request, { nonce: "required" });
 * await rotateRefreshToken(cookie, proof);
 */
export async function verifyDpopProof(
  request: Request,
  options: { nonce: "required" | "ignored" },
): Promise<VerifiedProof | null> {
  const header = request.headers.get(HEADER_NAME.dpop);
  if (header === null || header === "") {
    if (isDpopBindingOn()) throw new DpopProofRequired();
    return null;
  }
  const { jwk, payload } = await readProof(header, request);
  // A sign-in's proof only shows possession of the key (module comment), so neither its age nor
  // the device's clock matters there; a refresh's must be fresh.
  if (options.nonce === "required" && !isFreshIat(payload.iat)) {
    throw new InvalidDpopProof("The DPoP proof is too old (or the device's clock is wrong).");
  }
  if (typeof payload.jti !== "string" || !JTI_PATTERN.test(payload.jti)) {
    throw new InvalidDpopProof();
  }

  let window = nonceWindowNow();
  if (options.nonce === "required") {
    const accepted = await acceptedNonceWindow(payload.nonce);
    if (accepted === null) throw new UseDpopNonce(await issueDpopNonce());
    window = accepted;
  }
  return {
    jkt: await thumbprintOf(jwk),
    jti: payload.jti,
    issuedAt:
      typeof payload.iat === "number" && Number.isFinite(payload.iat)
        ? new Date(payload.iat * 1000)
        : null,
    // The nonce of `window` is accepted until the end of the next window.
    jtiExpiresAt: new Date((window + 2) * NONCE_WINDOW_SECONDS * 1000),
  };
}

/**
 * Sets the next `DPoP-Nonce` on a login, registration or refresh answer.
 *
 * @example
 * return withDpopNonce(await sessionResponse(request, issued));
 */
export async function withDpopNonce<R extends Response>(response: R): Promise<R> {
  response.headers.set(HEADER_NAME.dpopNonce, await issueDpopNonce());
  return response;
}

/**
 * How far an API request's proof `iat` may be from the server's clock, either way. Shorter than
 * the refresh's: there is no nonce on these routes, so this window (and the jti record below) is
 * all that limits a captured proof. The browser signs with the server's clock (its last `Date`),
 * so its proofs are seconds off at most.
 */
export const ACCESS_PROOF_IAT_WINDOW_SECONDS = 60;

/**
 * The jti of every API proof this process accepted, kept as long as its `iat` could still pass
 * (twice the window: either side of now). In memory, per process, on purpose: ARCHITECTURE.md
 * ("Access tokens bound too") weighs it against a database record per request. Only proofs that
 * passed every other check (signed by the key the access token names) are recorded, so filling
 * it takes the key and a valid token; a flood beyond `max` evicts the oldest.
 */
const acceptedAccessJtis = new LRUCache<string, true>({
  max: 100_000,
  ttl: 2 * ACCESS_PROOF_IAT_WINDOW_SECONDS * 1000,
});

/** `ath` (RFC 9449 §4.2): base64url(SHA-256(access token)). */
export function accessTokenHash(accessToken: string): string {
  return createHash("sha256").update(accessToken, "ascii").digest("base64url");
}

/**
 * Verifies the `DPoP` proof that must come with a bound access token on the app's API (RFC 9449
 * §7): the checks of every proof (`readProof`), then `ath` = the hash of this very token, `iat`
 * within ACCESS_PROOF_IAT_WINDOW_SECONDS, the signing key's thumbprint = the token's `cnf.jkt`
 * (`jkt`; null for an unbound token sent with a proof anyway: no key to compare), and a jti this
 * process has not accepted yet. No nonce and no database: see the constants above.
 * Throws DpopProofRequired (no proof) or InvalidDpopProof (any failed check); records nothing
 * unless every check passed.
 *
 * @example
 * await verifyAccessTokenProof(request, token, claims.cnf.jkt);
 */
export async function verifyAccessTokenProof(
  request: Request,
  accessToken: string,
  jkt: string | null,
): Promise<void> {
  const header = request.headers.get(HEADER_NAME.dpop);
  if (header === null || header === "") throw new DpopProofRequired();
  const { jwk, payload } = await readProof(header, request);
  if (typeof payload.ath !== "string" || payload.ath !== accessTokenHash(accessToken)) {
    throw new InvalidDpopProof("The DPoP proof was made for another access token.");
  }
  if (!isFreshIat(payload.iat, ACCESS_PROOF_IAT_WINDOW_SECONDS)) {
    throw new InvalidDpopProof("The DPoP proof is too old (or the device's clock is wrong).");
  }
  if (typeof payload.jti !== "string" || !JTI_PATTERN.test(payload.jti)) {
    throw new InvalidDpopProof();
  }
  const signedBy = await thumbprintOf(jwk);
  if (jkt !== null && signedBy !== jkt) {
    throw new InvalidDpopProof("The DPoP proof was signed by another key than the token's.");
  }
  // Per key, so one key's jtis never collide with another's.
  const seen = `${signedBy}.${payload.jti}`;
  if (acceptedAccessJtis.has(seen)) throw new DpopProofReplayed();
  acceptedAccessJtis.set(seen, true);
}
