/**
 * Another service verifies your tokens: a plain Node HTTP API (no Next, no
 * code from the app, no database) that accepts the app's access tokens by
 * checking them against the app's public keys at /.well-known/jwks.json, with
 * the two libraries an Express API usually uses: jsonwebtoken and jwks-rsa.
 *
 *   JWKS_URL=http://localhost:3000/.well-known/jwks.json \
 *   TOKEN_ISSUER=http://localhost:3000 TOKEN_AUDIENCE=http://localhost:3000 \
 *   PORT=4000 node server.mjs
 *
 *   curl -H "Authorization: Bearer $ACCESS_TOKEN" http://localhost:4000/api/hello
 *
 * What it checks, and why each matters:
 * - the signature, with the key the token's `kid` names, fetched from the
 *   JWKS (cached; an unknown kid triggers one rate-limited refetch, which is
 *   how a key rotation reaches this service);
 * - the algorithm: only asymmetric ones, and only the `alg` the JWKS publishes
 *   for that key, so a token can never pick HS256 and be "verified" with the
 *   public key as an HMAC secret (the classic algorithm-confusion attack);
 * - `iss` and `aud`: tokens minted for another app, or by another issuer, fail;
 * - `exp` (with jsonwebtoken's default of no clock tolerance) and `typ: at+jwt`
 *   (RFC 9068), so no other JWT of the issuer passes as an access token.
 *
 * What it cannot do: know that a session was revoked. It has no database and
 * does not listen to the app's revocation channel, so it accepts a revoked
 * session's token until that token expires (5 minutes by default). See the
 * app's SECURITY.md.
 */
import http from "node:http";
import jwt from "jsonwebtoken";
import jwksRsa from "jwks-rsa";

const ACCEPTED_ALGORITHMS = ["ES256", "RS256"];

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`Set ${name} (see the comment at the top of server.mjs).`);
    process.exit(1);
  }
  return value;
}

const jwksUrl = requireEnv("JWKS_URL");
const issuer = requireEnv("TOKEN_ISSUER");
const audience = requireEnv("TOKEN_AUDIENCE");
const port = Number(process.env.PORT ?? 4000);

const jwks = jwksRsa({
  jwksUri: jwksUrl,
  cache: true,
  cacheMaxAge: 10 * 60 * 1000,
  rateLimit: true,
  jwksRequestsPerMinute: 10,
});

/** jsonwebtoken's key callback: the key for the token's kid, pinned to that key's alg. */
function keyForToken(header, callback) {
  if (typeof header.kid !== "string") return callback(new Error("token has no kid"));
  jwks.getSigningKey(header.kid, (error, key) => {
    if (error) return callback(error);
    if (key.alg && key.alg !== header.alg) return callback(new Error("alg does not match the key"));
    callback(null, key.getPublicKey());
  });
}

function verifyAccessToken(token) {
  return new Promise((resolve, reject) => {
    jwt.verify(
      token,
      keyForToken,
      { algorithms: ACCEPTED_ALGORITHMS, issuer, audience, complete: true },
      (error, decoded) => {
        if (error) return reject(error);
        if (decoded.header.typ !== "at+jwt") return reject(new Error("not an access token"));
        if (typeof decoded.payload.sub !== "string") return reject(new Error("no subject"));
        resolve(decoded.payload);
      },
    );
  });
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
  const match = /^Bearer +([^\s]+)\s*$/i.exec(request.headers.authorization ?? "");
  if (!match) {
    return send(
      response,
      401,
      { error: { code: "token_missing", message: "Send Authorization: Bearer <access token>." } },
      { "www-authenticate": "Bearer" },
    );
  }
  try {
    const claims = await verifyAccessToken(match[1]);
    send(response, 200, { hello: claims.sub, session: claims.sid, expiresAt: claims.exp });
  } catch (error) {
    const expired = error instanceof jwt.TokenExpiredError;
    // The reason goes to this service's log, never to the caller.
    console.warn(`[resource-server] refused a token: ${error.name}: ${error.message}`);
    send(
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
});

server.listen(port, "127.0.0.1", () => {
  console.log(`[resource-server] listening on http://127.0.0.1:${server.address().port}`);
});
