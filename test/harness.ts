/**
 * Helpers for the HTTP-level suite: a real database (PGlite in a temporary
 * folder, or the fresh PostgreSQL database from global-setup), migrated by the
 * project's own migration code, and a tiny client that calls the exported
 * route handlers with real Request objects and keeps cookies like a browser.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { chooseDatabase, createAdapterFactory } from "@/lib/db/adapter";
import { type Db, getDb } from "@/lib/db/client";
import { applyMigrations } from "@/lib/db/migrate";
import { forgetEnv, forgetSigningKeys } from "@/lib/dev/process-state";
import { getEnv } from "@/lib/env";
import { TestDeviceKey, boundJktOf } from "./device-key";

export const APP_ORIGIN = "http://localhost:3000";

const globalForTests = globalThis as typeof globalThis & { __testDb?: Promise<Db> };

/** Configures the environment for tests and returns the migrated database (once per run). */
export function useTestDatabase(): Promise<Db> {
  globalForTests.__testDb ??= (async () => {
    const databaseUrl = inject("testDatabaseUrl");
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "jwt-test-"));
    Object.assign(process.env, {
      NODE_ENV: "test",
      DATA_DIR: dataDir,
      APP_URL: APP_ORIGIN,
      ACCESS_TOKEN_TTL_SECONDS: "300",
      SESSION_IDLE_TIMEOUT_SECONDS: String(7 * 24 * 3600),
      SESSION_ABSOLUTE_TIMEOUT_SECONDS: String(30 * 24 * 3600),
      // The whole suite is one "instance" registering accounts for hundreds of unrelated tests;
      // test/attacks/hash-flood.test.ts sets a small limit where the limit is the subject.
      REGISTRATION_LIMIT_PER_MINUTE: "100000",
      // The structured log stays quiet in tests; test/api/ops-events.test.ts captures it.
      LOG_LEVEL: "silent",
    });
    if (databaseUrl) process.env.DATABASE_URL = databaseUrl;
    else delete process.env.DATABASE_URL;
    delete process.env.AUTH_SIGNING_KEYS;
    // The grace bound is the app's default, so the attack tests check the shipped policy.
    delete process.env.REFRESH_GRACE_SECONDS;
    forgetEnv();
    forgetSigningKeys();
    await applyMigrations(await createAdapterFactory(chooseDatabase(getEnv())));
    return getDb();
  })();
  return globalForTests.__testDb;
}

/** Changes configuration for the rest of a test file (call `restoreEnv` after). */
export function setEnv(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    forgetEnv();
  };
  apply(values);
  return () => apply(previous);
}

let emailCounter = 0;
/** A unique email for this run. */
export function uniqueEmail(label = "user"): string {
  emailCounter += 1;
  return `${label}.${Date.now().toString(36)}.${emailCounter}@example.test`;
}

type RouteHandler = (request: Request, context: { params: Promise<any> }) => Promise<Response>;

export type CallOptions = {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  /**
   * The access token. A bound one (`cnf.jkt`) goes as `Authorization: DPoP` with a proof (with
   * `ath`) by the key of the device it was issued to, as the browser sends it, unless `scheme`
   * or `dpop` say otherwise; an unbound one as Bearer.
   */
  bearer?: string;
  /** Force the `Authorization` scheme for `bearer` (an attacker sending a bound token as Bearer). */
  scheme?: "Bearer" | "DPoP";
  params?: Record<string, string>;
  /** Send this raw refresh token instead of the jar's. */
  refreshToken?: string | null;
  /**
   * The DPoP header. Default: on login, register and refresh a fresh proof by this client's
   * device key (with the last nonce the server sent); `null` sends none.
   */
  dpop?: string | null;
};

/** The routes a browser signs a DPoP proof for (lib/client/device-key.ts). */
const PROOF_PATHS = new Set(["/api/auth/login", "/api/auth/register", "/api/auth/refresh"]);

export type CallResult<T = unknown> = {
  status: number;
  headers: Headers;
  body: T;
  /** Set-Cookie header lines of the response. */
  setCookies: string[];
};

/**
 * The device each refresh token was issued to (by its key): a client presenting a token signs
 * with that device's key unless it has a key of its own (`withOwnKey`).
 */
const keyOfToken = new Map<string, Promise<TestDeviceKey>>();
/** The device each access token was issued to (the key its session is bound to). */
const keyOfAccessToken = new Map<string, Promise<TestDeviceKey>>();

/** The key of the device `accessToken` was issued to through a TestClient, if any. */
export function keyOfAccess(accessToken: string): Promise<TestDeviceKey> | undefined {
  return keyOfAccessToken.get(accessToken);
}

/**
 * A browser-like client for route handlers: keeps the refresh cookie the
 * server sets (and deletes it when the server clears it), and signs DPoP proofs
 * (test/device-key.ts) where the browser would: login, register, refresh.
 *
 * IMPORTANT: by default a client presenting a refresh token signs with the key
 * of the device that token was issued to, so a plain `new TestClient()` given
 * a copied token is another tab of that browser, or a thief who holds the key
 * too (malware inside the victim's browser, which binding cannot stop): the
 * rotation tests keep testing rotation. A thief on another device, with only
 * the cookie, is `TestClient.withOwnKey()` (test/attacks/device-binding.test.ts).
 */
/**
 * A proof for a hand-built request presenting `refreshToken` (by the key of the device it was
 * issued to, else a new one), for tests that call a route without a TestClient.
 *
 * @example
 * headers: { cookie, dpop: await proofFor(token, "POST", "http://192.168.1.20:3000/api/auth/refresh") }
 */
export async function proofFor(
  refreshToken: string | null,
  method: string,
  url: string,
): Promise<string> {
  const key = (refreshToken && keyOfToken.get(refreshToken)) || TestDeviceKey.create();
  return (await key).proof(method, url);
}

/**
 * Records that `refreshToken` was issued to the device that holds `sameDeviceAs`'s key: for a
 * token a route without a proof hands out (a password change keeps the caller's session key,
 * lib/auth/accounts.ts), presented by hand later.
 */
export function issuedToSameDevice(refreshToken: string, sameDeviceAs: string): void {
  const key = keyOfToken.get(sameDeviceAs);
  if (!key) throw new Error("issuedToSameDevice: that token was not issued through a TestClient");
  keyOfToken.set(refreshToken, key);
}

export class TestClient {
  refreshToken: string | null = null;
  private ownKey: Promise<TestDeviceKey> | null = null;
  /** `withOwnKey`: signs with its own key for access tokens too (a thief with a copied token). */
  private otherDevice = false;

  constructor(readonly userAgent = "vitest") {}

  /** A client on another device: it signs with its own key, whatever token it presents. */
  static withOwnKey(userAgent?: string): TestClient {
    const client = new TestClient(userAgent);
    client.ownKey = TestDeviceKey.create();
    client.otherDevice = true;
    return client;
  }

  /** The key this client signs with for `refreshToken` (see the class comment). */
  keyFor(refreshToken: string | null): Promise<TestDeviceKey> {
    if (this.ownKey) return this.ownKey;
    const issuedTo = refreshToken ? keyOfToken.get(refreshToken) : undefined;
    return issuedTo ?? (this.ownKey = TestDeviceKey.create());
  }

  async call<T = any>(
    handler: RouteHandler,
    urlPath: string,
    options: CallOptions = {},
  ): Promise<CallResult<T>> {
    const headers = new Headers(options.headers);
    headers.set("user-agent", headers.get("user-agent") ?? this.userAgent);
    // A test may name another Host (an attacker's); the URL then carries it too, as in `next start`.
    if (!headers.has("host")) headers.set("host", new URL(APP_ORIGIN).host);
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const bearer = options.bearer;
    const bearerKey = bearer && !this.otherDevice ? (keyOfAccessToken.get(bearer) ?? null) : null;
    const scheme = options.scheme ?? (bearer && boundJktOf(bearer) ? "DPoP" : "Bearer");
    if (bearer) headers.set("authorization", `${scheme} ${bearer}`);
    const refreshToken =
      options.refreshToken === undefined ? this.refreshToken : options.refreshToken;
    // A hand-written Cookie header names the token the key is chosen for.
    const presented =
      /(?:^|;\s*)(?:__Secure-)?refresh_token=([^;]+)/.exec(options.headers?.cookie ?? "")?.[1] ??
      refreshToken;
    if (refreshToken && urlPath.startsWith("/api/auth")) {
      headers.set("cookie", `__Secure-refresh_token=${refreshToken}`);
    }
    const method = options.method ?? (body === undefined ? "GET" : "POST");
    // The Host a test sends (default: APP_ORIGIN's) is the origin the request, and its proof, name.
    const url = new URL(urlPath, `http://${headers.get("host")}`);
    const signs = options.dpop === undefined && PROOF_PATHS.has(url.pathname);
    if (options.dpop) headers.set("dpop", options.dpop);
    // An API request with a token sent as DPoP: a proof naming it, by its device's key.
    if (bearer && scheme === "DPoP" && options.dpop === undefined && !signs) {
      const signer = (await bearerKey) ?? (await this.keyFor(null));
      headers.set("dpop", await signer.accessProof(method, url.href, bearer));
    }
    const key = signs ? this.keyFor(url.pathname.endsWith("/refresh") ? presented : null) : null;
    const send = async () => {
      if (key) headers.set("dpop", await (await key).proof(method, url.href));
      const request = new Request(url, { method, headers, body });
      const answer = await handler(request, { params: Promise.resolve(options.params ?? {}) });
      if (key) (await key).learnNonce(answer.headers);
      return answer;
    };
    let response = await send();
    // As the browser's wrapper does: one retry with the nonce a `use_dpop_nonce` answer carries.
    if (signs && response.status === 401 && response.headers.has("dpop-nonce")) {
      const peek = (await response.clone().json()) as { error?: { code?: string } };
      if (peek.error?.code === "use_dpop_nonce") response = await send();
    }
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const match = /^(?:__Secure-)?refresh_token=([^;]*)/.exec(line);
      if (!match) continue;
      this.refreshToken = /max-age=0/i.test(line) || !match[1] ? null : match[1];
      if (this.refreshToken && key) keyOfToken.set(this.refreshToken, key);
    }
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : null;
    // The access token belongs to the key that signed for it, or to the caller's (a password
    // change keeps the caller's session key).
    const issuedKey = key ?? bearerKey;
    if (typeof parsed?.accessToken === "string" && issuedKey) {
      keyOfAccessToken.set(parsed.accessToken, issuedKey);
      if (this.refreshToken && !keyOfToken.has(this.refreshToken)) {
        keyOfToken.set(this.refreshToken, issuedKey);
      }
    }
    return {
      status: response.status,
      headers: response.headers,
      body: parsed as T,
      setCookies,
    };
  }
}
