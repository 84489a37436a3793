/**
 * Attack suite: the smaller holes of issue 11, item 7. Each one was a way to get a 500, an HTML
 * page, a revived session or an oversized row out of the server; each is now a clear 4xx (or a
 * private file mode) with nothing written.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as catchAll from "@/app/api/[[...path]]/route";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as logout } from "@/app/api/auth/logout/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { PUT as putPolicy } from "@/app/api/auth/sessions/current/policy/route";
import { GET as listSessions } from "@/app/api/auth/sessions/route";
import { GET as me } from "@/app/api/me/route";
import { GET as listNotes, POST as addNote } from "@/app/api/notes/route";
import { GET as whoami } from "@/app/api/whoami/route";
import { getSigningKeys } from "@/lib/auth/keys";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import { closePglite, openPglite } from "@/lib/db/adapter";
import type { Db } from "@/lib/db/client";
import { EMAIL_MAX_LENGTH } from "@/lib/validation/limits";
import { config as proxyConfig } from "@/proxy";
import { snapshotDatabase } from "@/test/attacks/db-snapshot";
import { TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
let db: Db;
let restoreEnv: () => void = () => {};

beforeAll(async () => {
  db = await useTestDatabase();
});
afterEach(() => {
  restoreEnv();
  restoreEnv = () => {};
});

async function signUp(label = "holes") {
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail(label), password: PASSWORD },
  });
  expect(res.status).toBe(201);
  const accessToken = res.body.accessToken as string;
  const claims = JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString());
  return { client, accessToken, claims, userId: res.body.user.id as string };
}

describe("DATA_DIR is private to the app's user", () => {
  async function modesUnder(folder: string): Promise<Record<string, string>> {
    const modes: Record<string, string> = {
      ".": ((await fs.stat(folder)).mode & 0o777).toString(8),
    };
    for (const entry of await fs.readdir(folder, { recursive: true, withFileTypes: true })) {
      const full = path.join(entry.parentPath, entry.name);
      modes[path.relative(folder, full)] = ((await fs.lstat(full)).mode & 0o777).toString(8);
    }
    return modes;
  }

  it("a real PGlite open and write leaves folders 0700 and files 0600, none readable by others", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "jwt-private-"));
    // A DATA_DIR left over from an older version: world-readable, as PGlite used to write it.
    const stale = path.join(dataDir, "pglite");
    try {
      await fs.chmod(dataDir, 0o755);
      const pglite = await openPglite(stale);
      await pglite.exec(
        "CREATE TABLE secrets (hash text); INSERT INTO secrets VALUES ('$argon2id$v=19$x');",
      );
      await closePglite(stale);
      const first = await modesUnder(dataDir);
      expect(Object.keys(first).length).toBeGreaterThan(50);

      // Loosen everything, as an older version (or a copy) left it, then open again.
      process.umask(0o022);
      for (const [relative, mode] of Object.entries(first)) {
        const full = path.join(dataDir, relative);
        await fs.chmod(full, mode === "700" ? 0o777 : 0o666);
      }
      const reopened = await openPglite(stale);
      await reopened.exec("INSERT INTO secrets VALUES ('$argon2id$v=19$y');");
      await reopened.query("CHECKPOINT");
      const after = await modesUnder(dataDir);
      await closePglite(stale);

      for (const modes of [first, after]) {
        for (const [relative, mode] of Object.entries(modes)) {
          expect(["700", "600"], `${relative} is ${mode}`).toContain(mode);
        }
      }
      expect(after["."]).toBe("700");
      expect(after.pglite).toBe("700");
    } finally {
      await closePglite(stale);
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("the development policy endpoint never revives an expired session", () => {
  const shorter = { accessTokenTtlSeconds: 20, refreshGraceSeconds: 0, idleTimeoutSeconds: 60 };

  for (const [which, expire] of [
    ["idle", { idleExpiresAt: new Date(Date.now() - 1000) }],
    ["absolute", { absoluteExpiresAt: new Date(Date.now() - 1000) }],
  ] as const) {
    it(`a session past its ${which} expiry stays expired: 401 session_expired, nothing written`, async () => {
      restoreEnv = setEnv({ AUTH_DEV_SCENARIOS: "1" });
      const { client, accessToken } = await signUp();
      const refreshToken = client.refreshToken!;
      const { sessionId } = await db.refreshToken.findUniqueOrThrow({
        where: { tokenHash: hashRefreshToken(refreshToken) },
      });
      await db.session.update({ where: { id: sessionId }, data: expire });
      const before = await db.session.findUniqueOrThrow({ where: { id: sessionId } });

      const res = await client.call(putPolicy, "/api/auth/sessions/current/policy", {
        method: "PUT",
        bearer: accessToken,
        json: shorter,
      });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("session_expired");
      expect(await db.session.findUniqueOrThrow({ where: { id: sessionId } })).toEqual(before);

      const again = await client.call(refresh, "/api/auth/refresh", { method: "POST" });
      expect(again.status).toBe(401);
      expect(again.body.error.code).toBe("session_expired");
    });
  }
});

describe("unknown /api paths answer 404 JSON, never the HTML page", () => {
  it("the catch-all answers every method with 404 not_found in the error shape", async () => {
    const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
    expect(Object.keys(catchAll).sort()).toEqual([...methods].sort());
    for (const method of methods) {
      const request = new Request("http://localhost:3000/api/no-such-route", { method });
      const response = await catchAll[method](request, { params: Promise.resolve({}) });
      expect(response.status, method).toBe(404);
      expect(response.headers.get("content-type"), method).toContain("application/json");
      expect((await response.json()).error, method).toMatchObject({ code: "not_found" });
    }
  });
});

describe("the page proxy runs for every page request, prefetch-labelled or not", () => {
  it("its matcher takes prefetch headers and paths that merely start like an exclusion", async () => {
    // Next's own matcher code needs its request-scoped storage global to load.
    (globalThis as { AsyncLocalStorage?: unknown }).AsyncLocalStorage ??= AsyncLocalStorage;
    const { unstable_doesMiddlewareMatch: matches } =
      await import("next/experimental/testing/server");
    const pages = [
      "/",
      "/login",
      "/dashboard",
      "/inspector/x",
      "/apidocs",
      "/favicon.ico",
      "/.well-known/nope",
      "/_next/nope",
    ];
    const labels = [
      {},
      { "next-router-prefetch": "1" },
      { "next-router-prefetch": "1", rsc: "1" },
      { purpose: "prefetch" },
    ];
    for (const url of pages) {
      for (const headers of labels) {
        expect(
          matches({ config: proxyConfig, url, headers }),
          `${url} ${JSON.stringify(headers)}`,
        ).toBe(true);
      }
    }
    for (const url of ["/api", "/api/me", "/_next/static/chunks/a.js", "/_next/image"]) {
      expect(matches({ config: proxyConfig, url }), url).toBe(false);
    }
  });
});

describe("access tokens that verify but name nothing usable answer 401, never 500", () => {
  const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

  /** Signed with our real key, so only the claims are wrong. */
  async function forge(claims: Record<string, unknown>, rawPayload?: string): Promise<string> {
    const { signer } = await getSigningKeys();
    const header = b64url({ alg: signer.alg, kid: signer.kid, typ: "at+jwt" });
    const payload = rawPayload ?? b64url(claims);
    const input = `${header}.${payload}`;
    // Web Crypto's parameters for each JWS algorithm (ECDSA's output is already JWS's r‖s form).
    const webCryptoAlgorithm = {
      ES256: { name: "ECDSA", hash: "SHA-256" },
      Ed25519: { name: "Ed25519" },
      RS256: { name: "RSASSA-PKCS1-v1_5" },
    }[signer.alg];
    const signature = await crypto.subtle.sign(
      webCryptoAlgorithm,
      signer.key,
      new TextEncoder().encode(input),
    );
    return `${input}.${Buffer.from(signature).toString("base64url")}`;
  }

  const protectedCalls = [
    ["GET /api/me", me, "GET"],
    ["GET /api/whoami", whoami, "GET"],
    ["GET /api/notes", listNotes, "GET"],
    ["POST /api/notes", addNote, "POST"],
    ["GET /api/auth/sessions", listSessions, "GET"],
  ] as const;

  async function callAll(token: string) {
    const answers: Record<string, { status: number; code: string }> = {};
    for (const [name, handler, method] of protectedCalls) {
      const path = name.split(" ")[1]!;
      const res = await new TestClient().call(handler, path, {
        method,
        bearer: token,
        ...(method === "POST" && { json: { body: "a note" } }),
      });
      answers[name] = { status: res.status, code: res.body?.error?.code };
    }
    return answers;
  }

  it("a deleted user's still-valid token: 401 where the user is read or written, never a 500, nothing written", async () => {
    const { accessToken, userId } = await signUp("deleted");
    await db.user.delete({ where: { id: userId } });
    const before = await snapshotDatabase(db);
    const answers = await callAll(accessToken);
    for (const name of ["GET /api/me", "POST /api/notes"]) {
      expect(answers[name], name).toEqual({
        status: 401,
        code: expect.stringMatching(/^(token_invalid|session_revoked)$/),
      });
    }
    // The list routes show the (now empty) lists of the token's subject, and /api/whoami reads
    // nothing at all (ARCHITECTURE.md: access tokens are stateless); none of them may fail.
    for (const [name, answer] of Object.entries(answers)) {
      expect(answer.status, name).toBeLessThan(500);
    }
    expect(await snapshotDatabase(db)).toEqual(before);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const OUT_OF_RANGE: Record<string, () => Record<string, unknown> | string> = {
    "exp 1e20": () => ({ iat: now(), exp: 1e20 }),
    "exp 1e300": () => ({ iat: now(), exp: 1e300 }),
    "exp beyond any Date (8.64e12 + 1)": () => ({ iat: now(), exp: 8.64e12 + 1 }),
    "exp a fraction": () => ({ iat: now(), exp: now() + 60.5 }),
    // Raw JSON: 1e999 parses to Infinity, which JSON.stringify cannot write.
    "exp Infinity (1e999 in the JSON)": () => `"iat":${now()},"exp":1e999`,
    "iat -1e20": () => ({ iat: -1e20, exp: now() + 60 }),
    "iat 1e300, exp 1e300": () => ({ iat: 1e300, exp: 1e300 }),
    "nbf -1e300": () => ({ iat: now(), exp: now() + 60, nbf: -1e300 }),
    "nbf 1e300": () => ({ iat: now(), exp: now() + 60, nbf: 1e300 }),
    "a lifetime longer than we ever issue (a year)": () => ({
      iat: now(),
      exp: now() + 365 * 86400,
    }),
    "exp before iat": () => ({ iat: now(), exp: now() - 10 }),
  };

  for (const [name, make] of Object.entries(OUT_OF_RANGE)) {
    it(`${name}: 401 token_invalid or token_expired on every route, never a 500`, async () => {
      const { claims } = await signUp("times");
      const { iat: _iat, exp: _exp, ...identity } = claims;
      const base = { ...identity, jti: crypto.randomUUID() };
      const made = make();
      const token =
        typeof made === "string"
          ? await forge(
              {},
              Buffer.from(`{${JSON.stringify(base).slice(1, -1)},${made}}`).toString("base64url"),
            )
          : await forge({ ...base, ...made });
      const answers = await callAll(token);
      for (const [route, answer] of Object.entries(answers)) {
        expect(answer.status, route).toBe(401);
        expect(answer.code, route).toMatch(/^token_(invalid|expired)$/);
      }
    });
  }
});

describe("refresh and logout refuse form and text bodies (415), changing nothing", () => {
  const bodies: [string, BodyInit, string | undefined][] = [
    ["a form", "refresh=1", "application/x-www-form-urlencoded"],
    ["text/plain", "{}", "text/plain"],
    ["multipart", "--x\r\n\r\n--x--", "multipart/form-data; boundary=x"],
    ["text with no declared type (a bare string body)", "hello", undefined],
  ];
  for (const [name, body, contentType] of bodies) {
    for (const [routeName, route] of [
      ["refresh", refresh],
      ["logout", logout],
    ] as const) {
      it(`${routeName} with ${name} → 415 unsupported_media_type, session untouched`, async () => {
        const { client } = await signUp("media");
        const cookieBefore = client.refreshToken;
        const before = await snapshotDatabase(db);
        const res = await client.call(route, `/api/auth/${routeName}`, {
          method: "POST",
          body,
          ...(contentType && { headers: { "content-type": contentType } }),
        });
        expect(res.status).toBe(415);
        expect(res.body.error.code).toBe("unsupported_media_type");
        expect(res.setCookies).toEqual([]);
        expect(client.refreshToken).toBe(cookieBefore);
        expect(await snapshotDatabase(db)).toEqual(before);
      });
    }
  }

  it("controls: no body, or a JSON body, still refreshes and logs out", async () => {
    const { client } = await signUp("media");
    expect((await client.call(refresh, "/api/auth/refresh", { method: "POST" })).status).toBe(200);
    expect((await client.call(refresh, "/api/auth/refresh", { json: {} })).status).toBe(200);
    expect((await client.call(logout, "/api/auth/logout", { json: {} })).status).toBe(204);
  });
});

describe("input limits hold after normalisation", () => {
  it("an email that NFKC lengthens past the limit is refused, writing nothing", async () => {
    // "ﬃ" (U+FB03) is one character that NFKC turns into three ("ffi").
    const email = `${"\ufb03".repeat(100)}@example.com`;
    expect(email.length).toBeLessThanOrEqual(EMAIL_MAX_LENGTH);
    expect(email.normalize("NFKC").length).toBeGreaterThan(EMAIL_MAX_LENGTH);
    const before = await snapshotDatabase(db);
    for (const route of [register, login]) {
      const res = await new TestClient().call(route, "/api/auth/x", {
        json: { email, password: PASSWORD },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.fields.email).toBeDefined();
    }
    expect(await snapshotDatabase(db)).toEqual(before);
  });

  const HOSTILE_NAMES: Record<string, string> = {
    "a right-to-left override (U+202E)": "Ada \u202egnp.exe",
    "a left-to-right override (U+202D)": "Ada \u202dx",
    "a right-to-left isolate (U+2067)": "Ada \u2067x\u2069",
    "a right-to-left mark (U+200F)": "Ada\u200f",
    "a C1 control (U+0085, next line)": "Ada\u0085Lovelace",
    "a C1 control (U+009B, CSI)": "Ada\u009b31m",
    "a tab": "Ada\tLovelace",
  };
  for (const [name, displayName] of Object.entries(HOSTILE_NAMES)) {
    it(`a display name with ${name} is refused with 400 on the name field, writing nothing`, async () => {
      const before = await snapshotDatabase(db);
      const res = await new TestClient().call(register, "/api/auth/register", {
        json: { email: uniqueEmail("name"), password: PASSWORD, name: displayName },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.fields.name).toBeDefined();
      expect(await snapshotDatabase(db)).toEqual(before);
    });
  }

  it("controls: names in other scripts and with emoji sequences (ZWJ) are accepted", async () => {
    for (const name of ["Ada Lovelace", "עדה לאבלייס", "أدا", "李雷", "👩‍💻 Ada"]) {
      const res = await new TestClient().call(register, "/api/auth/register", {
        json: { email: uniqueEmail("name"), password: PASSWORD, name },
      });
      expect(res.status, name).toBe(201);
      expect(res.body.user.name, name).toBe(name);
    }
  });
});
