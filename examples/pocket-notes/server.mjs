/**
 * pocket-notes: a token app in one file of node:http, with no dependencies, written to be unlike
 * the Next.js app beside it on every axis the Playwright token kit cares about:
 *
 *   sign-in         POST /auth/login {username, password}; or the form on / (a UI flow)
 *   access token    HS256 JWT in the JSON body: {"access_token", "token_type", "expires_in"}
 *   refresh         POST /auth/token with the cookie `pn_rt` (HttpOnly, Path=/auth), rotated on use
 *   reuse rule      strict: presenting any spent refresh token revokes the whole family at once,
 *                   with no grace period (the Next.js app forgives a lost answer's retry)
 *   errors          OAuth-style {"error": "invalid_token", "error_description": "..."}
 *   expiry          no test clock: tests run it with ACCESS_TOKEN_TTL_SECONDS=3 and wait for the
 *                   server's own 401
 *   storage         in memory (a restart forgets everyone)
 *
 * Env: PORT (3381), HOST (127.0.0.1), ACCESS_TOKEN_TTL_SECONDS (60), REFRESH_TOKEN_TTL_SECONDS
 * (86400), TOKEN_SECRET (random per start), PLANTED_BUG=double-refresh (the page refreshes once
 * per 401 instead of once for all: the bug the kit's assertions must catch), TEST_HOOKS=1 (the
 * page exposes `window.pocketNotes.accessToken()` for tests).
 */
import {
  createHash,
  createHmac,
  randomBytes,
  randomUUID,
  scryptSync,
  timingSafeEqual,
} from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";

const PORT = Number(process.env.PORT ?? 3381);
const HOST = process.env.HOST ?? "127.0.0.1";
const ACCESS_TOKEN_TTL_SECONDS = Number(process.env.ACCESS_TOKEN_TTL_SECONDS ?? 60);
const REFRESH_TOKEN_TTL_SECONDS = Number(process.env.REFRESH_TOKEN_TTL_SECONDS ?? 86_400);
const PLANTED_BUG = process.env.PLANTED_BUG ?? "";
const TEST_HOOKS = process.env.TEST_HOOKS === "1";
// IMPORTANT: a random secret per start signs tokens nobody else can mint; set TOKEN_SECRET (32+
// bytes) to keep tokens valid across restarts. Never log it.
const SECRET = process.env.TOKEN_SECRET ? Buffer.from(process.env.TOKEN_SECRET) : randomBytes(32);
const REFRESH_COOKIE = "pn_rt";
const REFRESH_COOKIE_PATH = "/auth";

if (!["", "double-refresh"].includes(PLANTED_BUG)) {
  console.error(`PLANTED_BUG must be "double-refresh" or unset, not "${PLANTED_BUG}".`);
  process.exit(1);
}

/** username → { passwordHash, salt, notes } */
const users = new Map();
/** sha256(refresh token) → { username, family, spent, expiresAt } */
const refreshTokens = new Map();
/** family id → revoked? */
const revokedFamilies = new Set();

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sha256 = (value) => createHash("sha256").update(value).digest("hex");

function signAccessToken(username) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const iat = nowSeconds();
  const body = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ sub: username, iat, exp: iat + ACCESS_TOKEN_TTL_SECONDS, jti: randomUUID() })}`;
  return `${body}.${createHmac("sha256", SECRET).update(body).digest("base64url")}`;
}

/** The token's subject, or the reason it is refused: "invalid" or "expired". */
function verifyAccessToken(token) {
  const [header, payload, signature, ...rest] = (token ?? "").split(".");
  if (!header || !payload || !signature || rest.length > 0) return { error: "invalid" };
  const expected = createHmac("sha256", SECRET).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { error: "invalid" };
  let claims;
  try {
    if (JSON.parse(Buffer.from(header, "base64url").toString()).alg !== "HS256")
      return { error: "invalid" };
    claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  } catch {
    return { error: "invalid" };
  }
  if (typeof claims.exp !== "number" || claims.exp <= nowSeconds()) return { error: "expired" };
  return users.has(claims.sub) ? { username: claims.sub } : { error: "invalid" };
}

function hashPassword(password, salt = randomBytes(16)) {
  return { salt, hash: scryptSync(password, salt, 32) };
}

function issueRefreshToken(username, family = randomUUID()) {
  const token = randomBytes(32).toString("base64url");
  refreshTokens.set(sha256(token), {
    username,
    family,
    spent: false,
    expiresAt: nowSeconds() + REFRESH_TOKEN_TTL_SECONDS,
  });
  return token;
}

function refreshCookie(token, maxAge = REFRESH_TOKEN_TTL_SECONDS) {
  return `${REFRESH_COOKIE}=${token}; Path=${REFRESH_COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`;
}

function readCookie(request, name) {
  for (const pair of (request.headers.cookie ?? "").split(";")) {
    const [key, ...value] = pair.trim().split("=");
    if (key === name) return value.join("=");
  }
  return null;
}

function send(response, status, body, headers = {}) {
  response.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    ...headers,
  });
  response.end(JSON.stringify(body));
}

function fail(response, status, error, description, headers = {}) {
  send(response, status, { error, error_description: description }, headers);
}

async function readJson(request) {
  let text = "";
  for await (const chunk of request) {
    text += chunk;
    if (text.length > 10_000) return null;
  }
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : null;
  } catch {
    return null;
  }
}

function readCredentials(body) {
  const { username, password } = body ?? {};
  if (typeof username !== "string" || typeof password !== "string") return null;
  if (username.length < 3 || username.length > 200 || password.length < 8 || password.length > 200)
    return null;
  return { username, password };
}

function tokenAnswer(response, username, family) {
  send(
    response,
    200,
    {
      access_token: signAccessToken(username),
      token_type: "Bearer",
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      username,
    },
    { "set-cookie": refreshCookie(issueRefreshToken(username, family)) },
  );
}

const routes = {
  "POST /auth/signup": async (request, response) => {
    const credentials = readCredentials(await readJson(request));
    if (!credentials)
      return fail(response, 400, "invalid_request", "username (3+) and password (8+) are required");
    if (users.has(credentials.username))
      return fail(response, 409, "username_taken", "that username is taken");
    users.set(credentials.username, {
      ...hashPassword(credentials.password),
      notes: ["Welcome to pocket-notes"],
    });
    send(response, 201, { username: credentials.username });
  },

  "POST /auth/login": async (request, response) => {
    const credentials = readCredentials(await readJson(request));
    const user = credentials && users.get(credentials.username);
    const { hash } = hashPassword(credentials?.password ?? "", user?.salt ?? randomBytes(16));
    if (!user || !timingSafeEqual(hash, user.hash)) {
      return fail(response, 400, "invalid_grant", "wrong username or password");
    }
    tokenAnswer(response, credentials.username);
  },

  // Rotation with strict reuse detection: each refresh token works once. A second presentation
  // (a thief's copy, or a client that refreshes twice at once) revokes the whole family.
  "POST /auth/token": async (request, response) => {
    const clear = { "set-cookie": refreshCookie("", 0) };
    const token = readCookie(request, REFRESH_COOKIE);
    const record = token && refreshTokens.get(sha256(token));
    if (!record || record.expiresAt <= nowSeconds()) {
      return fail(response, 401, "invalid_grant", "no valid refresh token", clear);
    }
    if (revokedFamilies.has(record.family)) {
      return fail(response, 401, "session_revoked", "this session was ended", clear);
    }
    if (record.spent) {
      revokedFamilies.add(record.family);
      return fail(
        response,
        401,
        "refresh_reused",
        "a spent refresh token was presented: session revoked",
        clear,
      );
    }
    record.spent = true;
    tokenAnswer(response, record.username, record.family);
  },

  "POST /auth/logout": async (request, response) => {
    const token = readCookie(request, REFRESH_COOKIE);
    const record = token && refreshTokens.get(sha256(token));
    if (record) revokedFamilies.add(record.family);
    response.writeHead(204, { "set-cookie": refreshCookie("", 0) });
    response.end();
  },

  "GET /api/me": (request, response, username) => send(response, 200, { username }),
  "GET /api/notes": (request, response, username) =>
    send(response, 200, { notes: users.get(username).notes }),
};

const PROTECTED = new Set(["GET /api/me", "GET /api/notes"]);

const page = readFileSync(new URL("./public/index.html", import.meta.url), "utf8");
const script = readFileSync(new URL("./public/app.js", import.meta.url), "utf8")
  .replace("__SINGLE_FLIGHT__", String(PLANTED_BUG !== "double-refresh"))
  .replace("__TEST_HOOKS__", String(TEST_HOOKS));

const server = http.createServer(async (request, response) => {
  const url = new URL(request.url ?? "/", "http://localhost");
  const key = `${request.method} ${url.pathname}`;
  try {
    if (key === "GET /" || key === "GET /app.js") {
      const isScript = url.pathname === "/app.js";
      response.writeHead(200, {
        "content-type": isScript ? "text/javascript" : "text/html; charset=utf-8",
        "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
        "cache-control": "no-store",
      });
      return response.end(isScript ? script : page);
    }
    if (key === "GET /health") return send(response, 200, { ok: true });
    const route = routes[key];
    if (!route) return fail(response, 404, "not_found", `no route ${key}`);
    if (!PROTECTED.has(key)) return await route(request, response);
    const match = /^Bearer ([\w.-]+)$/.exec(request.headers.authorization ?? "");
    const verdict = verifyAccessToken(match?.[1]);
    if (verdict.error) {
      return fail(
        response,
        401,
        verdict.error === "expired" ? "token_expired" : "invalid_token",
        `access token ${verdict.error}`,
        {
          "www-authenticate": `Bearer error="invalid_token"`,
        },
      );
    }
    return route(request, response, verdict.username);
  } catch (error) {
    console.error(`${key} failed:`, error instanceof Error ? error.message : error);
    if (!response.headersSent) fail(response, 500, "server_error", "something went wrong");
  }
});

server.listen(PORT, HOST, () => {
  const bug = PLANTED_BUG ? ` (PLANTED_BUG=${PLANTED_BUG})` : "";
  console.log(
    `pocket-notes on http://${HOST}:${PORT}, access tokens live ${ACCESS_TOKEN_TTL_SECONDS} s${bug}`,
  );
});
