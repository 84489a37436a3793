/**
 * Requests from someone with no account that a real `next start` must refuse before they cost
 * anyone else (issue 26). These need the built server: proxy.ts, which holds the cookie cap, never
 * runs when a test calls a route handler in-process, and only `next start` builds a request's URL
 * from the Host and X-Forwarded-Proto the client sent.
 *
 * - The cookie flood: over MAX_REQUEST_COOKIES cookies is 431 `too_many_cookies` on every route
 *   handler the issue names (and the handler never runs); exactly the cap is served as usual.
 * - Host and Origin both naming another site: refused as cross-site, since APP_URL is set.
 * - A client's own X-Forwarded-Proto (TRUST_PROXY=0) does not choose the refresh cookie's name or
 *   Secure flag: an http APP_URL on a LAN name gets the plain cookie.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MAX_REQUEST_COOKIES } from "@/lib/http/cookie-cap";
import { type AppServer, PROJECT_ROOT, startApp } from "@/scripts/app-server";
import { TestDeviceKey } from "@/test/device-key";

const { distDir, signingKeys } = inject("faults");
const LOG_DIR = path.join(PROJECT_ROOT, "test-results/faults");
const APP_URL = "http://localhost:8080";
const PASSWORD = "correct horse battery staple";

/** `c0=1; c1=1; …`: `count` distinct one-byte cookies (as bench/cookie-flood.ts sends). */
const floodCookieHeader = (count: number) =>
  Array.from({ length: count }, (_, i) => `c${i}=1`).join("; ");

/**
 * The `DPoP` header a browser's sign-in carries (issue 21: sign-ins bind the session to a key),
 * for `method origin+urlPath`.
 */
async function signInProof(method: string, origin: string, urlPath: string) {
  const key = await TestDeviceKey.create();
  return { dpop: await key.proof(method, `${origin}${urlPath}`) };
}

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: any };

/**
 * One request with exactly these headers (node:http, because fetch will not send a Host of the
 * caller's choosing).
 */
function send(
  server: AppServer,
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: "127.0.0.1", port: server.port, method, path: urlPath, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: kept as text, and the assertions say so
          }
          resolve({ status: response.statusCode!, headers: response.headers, body: parsed });
        });
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

let server: AppServer;
let dataDir: string;
const email = `flood-${Date.now()}@example.com`;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "faults-hostile-"));
  server = await startApp({
    distDir,
    env: { APP_URL, AUTH_SIGNING_KEYS: signingKeys, DATA_DIR: dataDir, DATABASE_URL: "" },
    logFile: path.join(LOG_DIR, "hostile-requests.log"),
  });
  const registered = await send(
    server,
    "POST",
    "/api/auth/register",
    {
      "content-type": "application/json",
      ...(await signInProof("POST", APP_URL, "/api/auth/register")),
    },
    JSON.stringify({ email, password: PASSWORD }),
  );
  expect(registered.status).toBe(201);
});

afterAll(async () => {
  await server?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const login = JSON.stringify({ email: "", password: "" });
/** Each route handler the issue measured, with what it answers a request that carries no credentials. */
const ROUTES = [
  { method: "GET", path: "/api/health", served: 200 },
  { method: "POST", path: "/api/auth/refresh", served: 401, code: "refresh_token_missing" },
  { method: "POST", path: "/api/auth/login", body: login, served: 400, code: "invalid_request" },
  { method: "GET", path: "/.well-known/jwks.json", served: 200 },
  { method: "GET", path: "/api/no-such-route", served: 404, code: "not_found" },
  { method: "GET", path: "/api", served: 404, code: "not_found" },
] as const;

describe(`the cookie cap (MAX_REQUEST_COOKIES = ${MAX_REQUEST_COOKIES})`, () => {
  for (const route of ROUTES) {
    const headers = (cookies: number) => ({
      cookie: floodCookieHeader(cookies),
      ...("body" in route ? { "content-type": "application/json" } : {}),
    });
    const body = "body" in route ? route.body : undefined;

    it(`${route.method} ${route.path}: one cookie over the cap is 431 too_many_cookies, JSON`, async () => {
      const answer = await send(
        server,
        route.method,
        route.path,
        headers(MAX_REQUEST_COOKIES + 1),
        body,
      );
      expect(answer.status).toBe(431);
      expect(answer.headers["content-type"]).toMatch(/^application\/json/);
      expect(answer.headers["cache-control"]).toBe("no-store");
      expect(answer.body.error.code).toBe("too_many_cookies");
      expect(answer.body.error.message).toMatch(String(MAX_REQUEST_COOKIES));
    });

    it(`${route.method} ${route.path}: the flood of 1,800 cookies is 431 too`, async () => {
      const answer = await send(server, route.method, route.path, headers(1800), body);
      expect(answer.status).toBe(431);
      expect(answer.body.error.code).toBe("too_many_cookies");
    });

    it(`${route.method} ${route.path}: exactly the cap is served as usual`, async () => {
      const answer = await send(
        server,
        route.method,
        route.path,
        headers(MAX_REQUEST_COOKIES),
        body,
      );
      expect(answer.status).toBe(route.served);
      if ("code" in route) expect(answer.body.error.code).toBe(route.code);
    });
  }

  it("a correct login over the cap never reaches the route: no session, no cookie", async () => {
    const credentials = JSON.stringify({ email, password: PASSWORD });
    const refused = await send(
      server,
      "POST",
      "/api/auth/login",
      {
        "content-type": "application/json",
        cookie: floodCookieHeader(MAX_REQUEST_COOKIES + 1),
        ...(await signInProof("POST", APP_URL, "/api/auth/login")),
      },
      credentials,
    );
    expect(refused.status).toBe(431);
    expect(refused.headers["set-cookie"]).toBeUndefined();
    const served = await send(
      server,
      "POST",
      "/api/auth/login",
      {
        "content-type": "application/json",
        cookie: floodCookieHeader(MAX_REQUEST_COOKIES),
        ...(await signInProof("POST", APP_URL, "/api/auth/login")),
      },
      credentials,
    );
    expect(served.status).toBe(200);
    expect(served.body.accessToken).toEqual(expect.any(String));
  });

  it("a page over the cap is refused too; at the cap it renders", async () => {
    const refused = await send(server, "GET", "/login", {
      cookie: floodCookieHeader(MAX_REQUEST_COOKIES + 1),
    });
    expect(refused.status).toBe(431);
    const served = await send(server, "GET", "/login", {
      cookie: floodCookieHeader(MAX_REQUEST_COOKIES),
    });
    expect(served.status).toBe(200);
    expect(served.headers["content-type"]).toMatch(/^text\/html/);
  });
});

describe("with APP_URL set, the Host a request names is not our origin", () => {
  it("Host and Origin both evil.example:PORT: registration is refused 403 cross_site_request", async () => {
    const evil = `evil.example:${server.port}`;
    const answer = await send(
      server,
      "POST",
      "/api/auth/register",
      {
        host: evil,
        origin: `http://${evil}`,
        "content-type": "application/json",
        ...(await signInProof("POST", `http://${evil}`, "/api/auth/register")),
      },
      JSON.stringify({ email: `evil-${Date.now()}@example.com`, password: PASSWORD }),
    );
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe("cross_site_request");
    expect(answer.headers["set-cookie"]).toBeUndefined();
  });

  it("control: APP_URL's own origin registers", async () => {
    const answer = await send(
      server,
      "POST",
      "/api/auth/register",
      {
        origin: APP_URL,
        "content-type": "application/json",
        ...(await signInProof("POST", APP_URL, "/api/auth/register")),
      },
      JSON.stringify({ email: `own-${Date.now()}@example.com`, password: PASSWORD }),
    );
    expect(answer.status).toBe(201);
  });
});

describe("with an http APP_URL on a LAN name, a client's X-Forwarded-Proto chooses nothing (TRUST_PROXY=0)", () => {
  let lan: AppServer;
  let lanDataDir: string;
  beforeAll(async () => {
    lanDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "faults-hostile-lan-"));
    lan = await startApp({
      distDir,
      env: {
        APP_URL: "http://app.internal:8080",
        TRUST_PROXY: "0",
        AUTH_SIGNING_KEYS: signingKeys,
        DATA_DIR: lanDataDir,
        DATABASE_URL: "",
      },
      logFile: path.join(LOG_DIR, "hostile-requests-lan.log"),
    });
  });
  afterAll(async () => {
    await lan?.stop();
    if (lanDataDir) fs.rmSync(lanDataDir, { recursive: true, force: true });
  });

  it("registration gets the plain, non-Secure cookie APP_URL's scheme calls for", async () => {
    const answer = await send(
      lan,
      "POST",
      "/api/auth/register",
      {
        host: "app.internal:8080",
        "x-forwarded-proto": "https",
        "content-type": "application/json",
        ...(await signInProof("POST", "http://app.internal:8080", "/api/auth/register")),
      },
      JSON.stringify({ email: `lan-${Date.now()}@example.com`, password: PASSWORD }),
    );
    expect(answer.status).toBe(201);
    const cookies = answer.headers["set-cookie"] ?? [];
    const refresh = cookies.find((line) => /refresh_token=/.test(line));
    expect(refresh).toMatch(/^refresh_token=/);
    for (const line of cookies) expect(line, line).not.toMatch(/;\s*Secure/i);
  });
});
