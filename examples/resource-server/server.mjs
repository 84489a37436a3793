/**
 * Another service verifies your tokens: a plain Node HTTP API (no Next, no
 * code from the app, no database) that accepts the app's access tokens by
 * checking them against the app's public keys at /.well-known/jwks.json, with
 * one library: jose (its remote key set and its JWT verifier).
 *
 *   JWKS_URL=http://localhost:3000/.well-known/jwks.json \
 *   TOKEN_ISSUER=http://localhost:3000 TOKEN_AUDIENCE=http://localhost:3000 \
 *   PORT=4000 node server.mjs
 *
 *   curl -H "Authorization: Bearer $ACCESS_TOKEN" http://localhost:4000/api/hello
 *
 * (that works for an unbound token, ACCESS_TOKEN_BINDING=off in the app; by default the app's
 * tokens are bound to the browser's key and need `Authorization: DPoP` plus a proof, below).
 *
 * The key set, and why it cannot be turned against genuine tokens (README.md):
 * - a known key is always served from the cached set: the set is never
 *   "expired" on the request path (cacheMaxAge: Infinity); a timer refreshes
 *   it in the background every JWKS_REFRESH_SECONDS, and a failed refresh
 *   keeps the set it had;
 * - a token naming an unknown `kid` causes at most one refetch per
 *   JWKS_COOLDOWN_SECONDS, counted from the last attempt whether or not it
 *   succeeded (concurrent ones share one fetch), and a known kid never waits
 *   for it. That is how a new key reaches this
 *   service before the app signs with it, and all a forger's random kids get.
 *
 * What it checks, and why each matters (the app's own rules, lib/auth/tokens.ts):
 * - the signature, with the key the token's `kid` names, and only with the
 *   `alg` the JWKS publishes for that key, among asymmetric ones: a token can
 *   never pick HS256 and be "verified" with the public key as an HMAC secret
 *   (the classic algorithm-confusion attack), nor `none`;
 * - `typ: at+jwt` (RFC 9068), so no other JWT of the issuer passes as an
 *   access token; `iss` and `aud`, so tokens minted for another app fail;
 * - `exp`, `iat`, `sub`, `sid` and `jti` present; a lifetime (`exp - iat`) of
 *   at most MAX_TOKEN_LIFETIME_SECONDS (the app's ACCESS_TOKEN_TTL_SECONDS), so
 *   a token signed for ten years is refused; no `iat` in the future;
 * - no `crit` header this service does not understand (jose refuses any,
 *   RFC 7515 §4.1.11): an extension it cannot apply must not be ignored.
 *
 * Bound tokens (RFC 9449 §7). A token with `cnf.jkt` is accepted only as `Authorization: DPoP
 * <token>` with a `DPoP` header holding a proof JWT: `typ: dpop+jwt`, ES256, signed by the
 * public key in its own `jwk` header (jose's EmbeddedJWK), whose RFC 7638 thumbprint is the
 * token's `cnf.jkt`; `htm` and `htu` naming this request (PUBLIC_ORIGIN, or the Host it was sent
 * to, plus the path); `ath` = base64url(SHA-256(token)); `iat` within PROOF_IAT_WINDOW_SECONDS;
 * a `jti` this process has not accepted yet (kept in memory for that window). So a copied access
 * token is useless here too: sent as Bearer it is refused (`dpop_proof_required`), and no proof
 * can be made without the browser's non-extractable key. An unbound token goes as Bearer.
 *
 * What it cannot do: know that a session was revoked. It has no database and
 * does not listen to the app's revocation channel, so it accepts a revoked
 * session's token until that token expires (5 minutes by default). See the
 * app's SECURITY.md.
 */
import http from "node:http";
import { createHash } from "node:crypto";
import { EmbeddedJWK, calculateJwkThumbprint, createRemoteJWKSet, errors, jwtVerify } from "jose";

const ACCEPTED_ALGORITHMS = ["ES256", "Ed25519", "RS256"];
/** The app refuses longer tokens before parsing them; so does this service. */
const MAX_TOKEN_LENGTH = 4096;
/** Tolerated drift between this service's clock and the app's. */
const CLOCK_TOLERANCE_SECONDS = 5;

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`Set ${name} (see the comment at the top of server.mjs).`);
    process.exit(1);
  }
  return value;
}

function positiveSeconds(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name} must be a positive number of seconds.`);
    process.exit(1);
  }
  return value;
}

const jwksUrl = new URL(requireEnv("JWKS_URL"));
const issuer = requireEnv("TOKEN_ISSUER");
const audience = requireEnv("TOKEN_AUDIENCE");
const port = Number(process.env.PORT ?? 4000);
const maxLifetimeSeconds = positiveSeconds("MAX_TOKEN_LIFETIME_SECONDS", 300);
const refreshSeconds = positiveSeconds("JWKS_REFRESH_SECONDS", 600);
const cooldownSeconds = positiveSeconds("JWKS_COOLDOWN_SECONDS", 30);
const proofIatWindowSeconds = positiveSeconds("PROOF_IAT_WINDOW_SECONDS", 60);
/** The origin clients call this service at, for `htu`; unset: http:// and the request's Host. */
const publicOrigin = process.env.PUBLIC_ORIGIN ? new URL(process.env.PUBLIC_ORIGIN).origin : null;

const jwks = createRemoteJWKSet(jwksUrl, {
  // IMPORTANT: never stale on the request path. With jose's default (10 minutes) every request
  // after an expiry waits for a refetch, and fails with it when the app cannot answer.
  cacheMaxAge: Infinity,
  // The refetch for an unknown kid is ours (below): jose's cooldown counts from the last
  // successful fetch, so while the app's JWKS fails, every forged kid would start another.
  cooldownDuration: Infinity,
  timeoutDuration: 5000,
});

/** The background refresh: a removed key stops here within refreshSeconds; a failure keeps the set. */
function refreshInBackground() {
  jwks.reload().catch((error) => {
    console.warn(
      `[resource-server] JWKS refresh failed, keeping the cached keys: ${error.message}`,
    );
  });
}
refreshInBackground();
setInterval(refreshInBackground, refreshSeconds * 1000).unref();

let unknownKidRefetch = null;
let nextUnknownKidRefetchAt = 0;

/** The one refetch an unknown kid may start: none within the cooldown of the last attempt. */
function refetchForUnknownKid() {
  if (unknownKidRefetch) return unknownKidRefetch;
  if (Date.now() < nextUnknownKidRefetchAt) return null;
  nextUnknownKidRefetchAt = Date.now() + cooldownSeconds * 1000;
  unknownKidRefetch = jwks.reload().finally(() => (unknownKidRefetch = null));
  return unknownKidRefetch;
}

/**
 * jwtVerify's key function: the cached key for the token's kid and alg (jose's local set matches
 * both). Only a kid the set does not hold waits, for the one refetch, and only once.
 */
async function keyForToken(protectedHeader, token) {
  // IMPORTANT: without a kid, jose would try the one key of a matching alg; the app always names
  // its key, so a token that does not is not the app's.
  if (typeof protectedHeader.kid !== "string") throw new TokenRefused("token has no kid");
  try {
    return await jwks(protectedHeader, token);
  } catch (error) {
    if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
    const refetch = refetchForUnknownKid();
    if (!refetch) throw error;
    await refetch.catch(() => {
      throw error;
    });
    return jwks(protectedHeader, token);
  }
}

class TokenRefused extends Error {
  name = "TokenRefused";
}

async function verifyAccessToken(token) {
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenRefused("token too long");
  const { payload } = await jwtVerify(token, keyForToken, {
    algorithms: ACCEPTED_ALGORITHMS,
    issuer,
    audience,
    typ: "at+jwt",
    requiredClaims: ["exp", "iat", "sub", "sid", "jti"],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  });
  for (const claim of ["sub", "sid", "jti"]) {
    if (typeof payload[claim] !== "string") throw new TokenRefused(`${claim} is not a string`);
  }
  const lifetime = payload.exp - payload.iat;
  if (!Number.isSafeInteger(lifetime) || lifetime <= 0 || lifetime > maxLifetimeSeconds) {
    throw new TokenRefused(`lifetime ${lifetime} s is not within 1..${maxLifetimeSeconds} s`);
  }
  if (payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) {
    throw new TokenRefused("iat is in the future");
  }
  return payload;
}

class ProofRefused extends Error {
  name = "ProofRefused";
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** jti → when it may be forgotten: a proof is accepted once, while its iat can still pass. */
const acceptedJtis = new Map();
function rememberJti(jti) {
  const nowMs = Date.now();
  for (const [seen, until] of acceptedJtis) {
    if (until > nowMs) break; // insertion order is expiry order
    acceptedJtis.delete(seen);
  }
  if (acceptedJtis.has(jti)) throw new ProofRefused("dpop_proof_replayed", "proof already used");
  acceptedJtis.set(jti, nowMs + 2 * proofIatWindowSeconds * 1000);
}

/**
 * RFC 9449 §7: the request's DPoP proof for a token bound to `jkt`. Throws ProofRefused.
 */
async function verifyProof(request, url, token, jkt) {
  const proof = request.headers.dpop;
  if (typeof proof !== "string" || proof === "") {
    throw new ProofRefused("dpop_proof_required", "no DPoP proof");
  }
  if (proof.length > 2048 || proof.includes(",")) {
    throw new ProofRefused("invalid_dpop_proof", "not one proof");
  }
  let header;
  let payload;
  try {
    ({ protectedHeader: header, payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: "dpop+jwt",
      algorithms: ["ES256"],
    }));
  } catch (error) {
    throw new ProofRefused("invalid_dpop_proof", `proof: ${error.message}`);
  }
  if ("d" in header.jwk) throw new ProofRefused("invalid_dpop_proof", "private key in jwk");
  const origin = publicOrigin ?? `http://${request.headers.host}`;
  if (payload.htm !== request.method || payload.htu !== `${origin}${url.pathname}`) {
    throw new ProofRefused("invalid_dpop_proof", "proof made for another request");
  }
  if (payload.ath !== createHash("sha256").update(token).digest("base64url")) {
    throw new ProofRefused("invalid_dpop_proof", "proof made for another access token");
  }
  if (
    typeof payload.iat !== "number" ||
    Math.abs(payload.iat - Date.now() / 1000) > proofIatWindowSeconds
  ) {
    throw new ProofRefused("invalid_dpop_proof", "iat outside the window");
  }
  if (typeof payload.jti !== "string" || payload.jti.length < 16 || payload.jti.length > 128) {
    throw new ProofRefused("invalid_dpop_proof", "no usable jti");
  }
  const signedBy = await calculateJwkThumbprint(header.jwk, "sha256");
  if (signedBy !== jkt) throw new ProofRefused("invalid_dpop_proof", "signed by another key");
  rememberJti(`${signedBy}.${payload.jti}`);
}

function send(response, status, body, headers = {}) {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

const server = http.createServer(async (request, response) => {
  const url = new URL(request.url ?? "/", "http://resource-server");
  if (url.pathname === "/health") return send(response, 200, { ok: true });
  if (url.pathname !== "/api/hello" || request.method !== "GET") {
    return send(response, 404, { error: { code: "not_found", message: "No such route." } });
  }
  const match = /^(Bearer|DPoP) +([^\s]+)\s*$/i.exec(request.headers.authorization ?? "");
  if (!match) {
    return send(
      response,
      401,
      {
        error: {
          code: "token_missing",
          message: "Send Authorization: DPoP <access token> with its DPoP proof (or Bearer).",
        },
      },
      { "www-authenticate": 'Bearer, DPoP algs="ES256"' },
    );
  }
  const scheme = match[1].toLowerCase();
  const token = match[2];
  let claims;
  try {
    claims = await verifyAccessToken(token);
  } catch (error) {
    const expired = error instanceof errors.JWTExpired;
    // The reason goes to this service's log, never to the caller.
    console.warn(`[resource-server] refused a token: ${error.name}: ${error.message}`);
    return send(
      response,
      401,
      {
        error: expired
          ? { code: "token_expired", message: "The access token has expired." }
          : { code: "token_invalid", message: "The access token is not valid." },
      },
      { "www-authenticate": `Bearer error="invalid_token"` },
    );
  }
  const jkt = typeof claims.cnf?.jkt === "string" ? claims.cnf.jkt : null;
  try {
    if (jkt !== null && scheme !== "dpop") {
      throw new ProofRefused("dpop_proof_required", "bound token sent as Bearer");
    }
    if (scheme === "dpop") {
      if (jkt === null) throw new ProofRefused("invalid_dpop_proof", "token not bound");
      await verifyProof(request, url, token, jkt);
    }
  } catch (error) {
    if (!(error instanceof ProofRefused)) throw error;
    console.warn(`[resource-server] refused a proof: ${error.message}`);
    return send(
      response,
      401,
      { error: { code: error.code, message: "This access token needs a valid DPoP proof." } },
      { "www-authenticate": `DPoP error="invalid_dpop_proof", algs="ES256"` },
    );
  }
  send(response, 200, { hello: claims.sub, session: claims.sid, expiresAt: claims.exp });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`[resource-server] listening on http://127.0.0.1:${server.address().port}`);
});
