/**
 * This app, described to playwright-token-kit (packages/playwright-token-kit): the adapter object
 * `appAdapter`, and the API calls and names this project's specs use beside the kit's fixtures.
 *
 * For this app: JSON endpoints under /api/auth, a rotating refresh token in an httpOnly cookie,
 * access tokens in page memory (delivered in the `accessToken` field of sign-in and refresh
 * answers), a per-request test clock, and a login page that says why a session ended
 * (`/login?reason=<code>`).
 *
 * IMPORTANT: how a user signs in is written once, in `signInAccount` (the setup project's login
 * page aside). A change to sign-in (a proof of possession on refresh, say) starts there and in
 * `refreshSession`.
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
} from "node:crypto";
import {
  type APIRequestContext,
  type APIResponse,
  type BrowserContext,
  type Page,
  expect,
} from "@playwright/test";
import { type Credentials, defineAdapter } from "playwright-token-kit";
import { DEVICE_KEY_STORE, ERROR_CODE, HEADER_NAME } from "../lib/contract";
import { describeSignOutReason, type SignOutReason } from "../lib/client/redirect";

export type { SignOutReason };

export type { Credentials };

export const REFRESH_PATH = "/api/auth/refresh";
export const REFRESH_COOKIE_NAME = "__Secure-refresh_token";
/** A cookie the pages' redirects read (no secret in it); saved and restored with the session. */
export const SESSION_HINT_COOKIE_NAME = "session_hint";
/**
 * The request header that moves the server's clock for one request (seconds, may be negative).
 * The server honours it only when started with AUTH_TEST_CLOCK=1, and refuses that flag unless
 * its APP_URL is a loopback address (lib/dev/gate.ts, lib/env.ts).
 */
export const TEST_CLOCK_HEADER = "x-test-clock-offset";
/** A page only a signed-in user can see; the kit opens it to prove a session works. */
export const SIGNED_IN_PATH = "/dashboard";

/**
 * Fresh credentials the app's sign-up accepts, unique across workers, repeats and runs, and short
 * enough to read in a screenshot. `label` starts the email ("user", "worker1").
 */
export function uniqueCredentials(label: string, name = "E2E"): Credentials {
  const id = randomUUID().slice(0, 13);
  return { email: `${label}-${id}@example.test`, password: `correct horse ${id}`, name };
}

/** Which requests the network recorder (auth-network.ts) writes down. */
export function isApiPath(pathname: string): boolean {
  return pathname.startsWith("/api/") && pathname !== "/api/health";
}

/**
 * Makes the server do, once, the slow first-use work a test would otherwise wait for (here: open
 * the embedded database, load the password hasher). A login for an unknown account changes
 * nothing.
 */
export async function wakeServer(api: APIRequestContext): Promise<void> {
  const email = `warm-up-${randomUUID().slice(0, 8)}@example.test`;
  const response = await api.post("/api/auth/login", {
    data: { email, password: "warm-up password" },
    timeout: 60_000,
  });
  if (response.status() !== 401) {
    throw new Error(`The warm-up login should be refused: ${await describeResponse(response)}`);
  }
}

/** Creates an account through the API. Leaves the new session's cookies in `api`'s jar. */
export async function registerAccount(
  api: APIRequestContext,
  user: Credentials,
  headers?: Record<string, string>,
  device: DeviceKey = createDeviceKey(),
): Promise<void> {
  const response = await api.post("/api/auth/register", {
    data: user,
    headers: { ...headers, ...(await proofHeader(api, device, "/api/auth/register")) },
  });
  learnNonce(device, response);
  if (response.status() !== 201) {
    throw new Error(`Registering ${user.email} failed: ${await describeResponse(response)}`);
  }
}

/**
 * Presents the refresh cookie in `api`'s jar (or `cookie`, when given) to the refresh endpoint, as
 * the app's own client does. On success the jar holds the rotated cookie.
 */
export async function refreshSession(
  api: APIRequestContext,
  options: { cookie?: string; headers?: Record<string, string>; device?: DeviceKey } = {},
): Promise<APIResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers.Cookie = `${REFRESH_COOKIE_NAME}=${options.cookie}`;
  const { device } = options;
  if (!device) return api.post(REFRESH_PATH, { headers });
  const send = async () => {
    const response = await api.post(REFRESH_PATH, {
      headers: { ...headers, ...(await proofHeader(api, device, REFRESH_PATH)) },
    });
    learnNonce(device, response);
    return response;
  };
  const response = await send();
  if (response.status() !== 401) return response;
  const code = readErrorCode(await response.json().catch(() => null));
  return code === ERROR_CODE.useDpopNonce ? send() : response;
}

/** The email of the account a successful sign-in, sign-up or refresh answer belongs to. */
export async function signedInEmail(response: APIResponse): Promise<string | null> {
  const body = (await response.json().catch(() => null)) as { user?: { email?: unknown } } | null;
  return typeof body?.user?.email === "string" ? body.user.email : null;
}

/** Signs in through the API. Leaves the new session's cookies in `api`'s jar. */
export async function signInAccount(
  api: APIRequestContext,
  user: Credentials,
  headers?: Record<string, string>,
  device: DeviceKey = createDeviceKey(),
): Promise<void> {
  const response = await api.post("/api/auth/login", {
    data: user,
    headers: { ...headers, ...(await proofHeader(api, device, "/api/auth/login")) },
  });
  learnNonce(device, response);
  if (response.status() !== 200) {
    throw new Error(`Signing in ${user.email} failed: ${await describeResponse(response)}`);
  }
}

/** Ends the session whose cookies are in `api`'s jar. */
export async function signOutAccount(api: APIRequestContext): Promise<void> {
  const response = await api.post("/api/auth/logout");
  if (!response.ok()) throw new Error(`Signing out failed: ${await describeResponse(response)}`);
}

/**
 * Where a page lands when its session ended for `reason`, and the sentence the login page shows.
 * The sentence comes from the app's own table (lib/client/redirect.ts), so a reworded message
 * does not break the suite, while a wrong reason, a missing message or a raw code on the page do.
 */
export function signedOutPage(reason: SignOutReason): { url: RegExp; message: string } {
  return {
    url: new RegExp(`/login\\?reason=${reason}(&|$)`),
    message: describeSignOutReason(reason) ?? "",
  };
}

/** The test id of the element on the login page that holds that sentence. */
export const SIGN_OUT_REASON_TEST_ID = "sign-out-reason";

/** `"200"`, or `"<status> <error.code>"` for the API's error shape `{ error: { code } }`. */
export async function describeResponse(response: {
  ok(): boolean;
  status(): number;
  json(): Promise<unknown>;
}): Promise<string> {
  if (response.ok()) return String(response.status());
  const body: unknown = await response.json().catch(() => null);
  return `${response.status()} ${readErrorCode(body) ?? "without a code"}`;
}

/** `error.code` of the API's error shape, or `null`. */
export function readErrorCode(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("error" in body)) return null;
  const { error } = body;
  if (typeof error !== "object" || error === null || !("code" in error)) return null;
  return typeof error.code === "string" ? error.code : null;
}

/**
 * The session key a browser of this app holds (lib/client/device-key.ts), as the kit holds it:
 * a P-256 key pair as JWKs, and the server's last nonce. Sign-ins and refreshes from outside the
 * browser sign their DPoP proofs with it, and `plantDeviceKey` gives it to a browser context, so a
 * session the kit signed in is one the page can refresh. Plain JSON: it is saved with the
 * worker's session.
 */
export interface DeviceKey {
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
  nonce: string | null;
}

/** A new session key, as the app's sign-in makes one. */
export function createDeviceKey(): DeviceKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const { kty, crv, x, y } = publicKey.export({ format: "jwk" });
  return {
    privateJwk: privateKey.export({ format: "jwk" }) as JsonWebKey,
    publicJwk: { kty, crv, x, y } as JsonWebKey,
    nonce: null,
  };
}

/**
 * A DPoP proof (RFC 9449 shape, lib/auth/dpop.ts) for `method url` by `device`.
 *
 * @example
 * await api.post("/api/auth/refresh", { headers: { DPoP: signDeviceProof(device, "POST", url) } });
 */
export function signDeviceProof(
  device: DeviceKey,
  method: string,
  url: string,
  accessToken?: string,
): string {
  const target = new URL(url);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = encode({ alg: "ES256", typ: "dpop+jwt", jwk: device.publicJwk });
  const payload = encode({
    htm: method,
    htu: `${target.origin}${target.pathname}`,
    iat: Math.floor(Date.now() / 1000),
    jti: randomBytes(16).toString("base64url"),
    ...(device.nonce !== null && accessToken === undefined && { nonce: device.nonce }),
    ...(accessToken !== undefined && {
      ath: createHash("sha256").update(accessToken).digest("base64url"),
    }),
  });
  const key = createPrivateKey({ key: device.privateJwk as never, format: "jwk" });
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), {
    key,
    dsaEncoding: "ieee-p1363",
  });
  return `${header}.${payload}.${signature.toString("base64url")}`;
}

/**
 * The DPoP header for a POST to `path` through `api`, by `device` (default: a new key, as a
 * browser's sign-in makes): for a test that calls login or refresh itself.
 *
 * @example
 * await api.post("/api/auth/login", { data: user, headers: await proofHeader(api, createDeviceKey(), "/api/auth/login") });
 */
export async function proofHeader(
  api: APIRequestContext,
  device: DeviceKey,
  path: string,
): Promise<Record<string, string>> {
  // The request context's own base URL: the origin the server expects in `htu`.
  const url = new URL(path, await baseUrlOf(api));
  return { [HEADER_NAME.dpop]: signDeviceProof(device, "POST", url.href) };
}

/**
 * The headers of an API request with an access token bound to `device` (a session the test
 * signed in through `api` itself): `Authorization: DPoP` and a proof naming the request and the
 * token (`ath`), as the browser's wrapper sends them.
 *
 * @example
 * await api.get("/api/me", { headers: await accessHeaders(api, device, "GET", "/api/me", token) });
 */
export async function accessHeaders(
  api: APIRequestContext,
  device: DeviceKey,
  method: string,
  path: string,
  accessToken: string,
): Promise<Record<string, string>> {
  const url = new URL(path, await baseUrlOf(api));
  return {
    Authorization: `DPoP ${accessToken}`,
    [HEADER_NAME.dpop]: signDeviceProof(device, method, url.href, accessToken),
  };
}

/**
 * The same for a token the page holds: the proof is signed inside `page` with the key its sign-in
 * stored in IndexedDB (non-extractable, so only the page can sign with it). For a test that asks
 * the API, from outside the page's wrapper, what it answers to the page's own token.
 *
 * @example
 * await api.get("/api/me", { headers: await pageAccessHeaders(page, "GET", "/api/me", token) });
 */
export async function pageAccessHeaders(
  page: Page,
  method: string,
  path: string,
  accessToken: string,
  from: "app" | "kept" = "app",
): Promise<Record<string, string>> {
  const database = from === "app" ? DEVICE_KEY_STORE.database : KEPT_KEY_DATABASE;
  const proof = await page.evaluate(
    async ({ store, database, method, path, accessToken }) => {
      const record = await new Promise<{ privateKey: CryptoKey; publicJwk: JsonWebKey } | null>(
        (resolve, reject) => {
          const open = indexedDB.open(database);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result
              .transaction(store.objectStore, "readonly")
              .objectStore(store.objectStore)
              .get(store.record);
            get.onerror = () => reject(get.error);
            get.onsuccess = () => resolve(get.result ?? null);
          };
        },
      );
      if (!record) return null;
      const b64 = (bytes: Uint8Array) =>
        btoa(String.fromCharCode(...bytes))
          .replace(/\+/g, "-")
          .replace(/\//g, "_")
          .replace(/=+$/, "");
      const json = (value: object) => b64(new TextEncoder().encode(JSON.stringify(value)));
      const digest = new Uint8Array(
        await crypto.subtle.digest("SHA-256", new TextEncoder().encode(accessToken)),
      );
      const url = new URL(path, location.origin);
      const input = `${json({ alg: "ES256", typ: "dpop+jwt", jwk: record.publicJwk })}.${json({
        htm: method,
        htu: `${url.origin}${url.pathname}`,
        iat: Math.floor(Date.now() / 1000),
        jti: crypto.randomUUID().replace(/-/g, ""),
        ath: b64(digest),
      })}`;
      const signature = await crypto.subtle.sign(
        { name: "ECDSA", hash: "SHA-256" },
        record.privateKey,
        new TextEncoder().encode(input),
      );
      return `${input}.${b64(new Uint8Array(signature))}`;
    },
    { store: DEVICE_KEY_STORE, database, method, path, accessToken },
  );
  if (!proof) throw new Error("pageAccessHeaders: this page holds no device key");
  return { Authorization: `DPoP ${accessToken}`, [HEADER_NAME.dpop]: proof };
}

/** Where `keepPageKey` copies the page's key (same store and record names). */
const KEPT_KEY_DATABASE = "e2e-kept-device-key";

/**
 * Copies the page's session key (still non-extractable: IndexedDB stores the CryptoKey itself)
 * to a database of the test's own, so `pageAccessHeaders(..., "kept")` can still sign for the
 * page's token after the app deleted its key (any sign-out does).
 *
 * @example
 * await keepPageKey(page);
 */
export async function keepPageKey(page: Page): Promise<void> {
  await page.evaluate(
    async ({ store, kept }) => {
      const openDb = (name: string) =>
        new Promise<IDBDatabase>((resolve, reject) => {
          const open = indexedDB.open(name, 1);
          open.onupgradeneeded = () => open.result.createObjectStore(store.objectStore);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => resolve(open.result);
        });
      const request = <T>(r: IDBRequest<T>) =>
        new Promise<T>((resolve, reject) => {
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
      const app = await openDb(store.database);
      const record = await request(
        app.transaction(store.objectStore).objectStore(store.objectStore).get(store.record),
      );
      if (!record) throw new Error("keepPageKey: this page holds no device key");
      const copy = await openDb(kept);
      await request(
        copy
          .transaction(store.objectStore, "readwrite")
          .objectStore(store.objectStore)
          .put(record, store.record),
      );
    },
    { store: DEVICE_KEY_STORE, kept: KEPT_KEY_DATABASE },
  );
}

const baseUrls = new WeakMap<APIRequestContext, string>();
async function baseUrlOf(api: APIRequestContext): Promise<string> {
  const known = baseUrls.get(api);
  if (known) return known;
  const response = await api.get("/api/health");
  const origin = new URL(response.url()).origin;
  baseUrls.set(api, origin);
  return origin;
}

function learnNonce(device: DeviceKey, response: APIResponse): void {
  const nonce = response.headers()[HEADER_NAME.dpopNonce];
  if (nonce) device.nonce = nonce;
}

/**
 * Gives `device` to a browser context: stores it where the app's page looks for its key
 * (`DEVICE_KEY_STORE`, IndexedDB), imported non-extractable as the app makes its own. Call it
 * before the page that should use it loads (it opens and closes a page of its own on `baseURL`).
 */
export async function plantDeviceKey(
  context: BrowserContext,
  baseURL: string,
  device: DeviceKey,
): Promise<void> {
  const page = await context.newPage();
  try {
    await page.goto(new URL("/api/health", baseURL).href);
    await page.evaluate(
      async ({ device, names }) => {
        const privateKey = await crypto.subtle.importKey(
          "jwk",
          device.privateJwk,
          { name: "ECDSA", namedCurve: "P-256" },
          false,
          ["sign"],
        );
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open(names.database, 1);
          request.onupgradeneeded = () => request.result.createObjectStore(names.objectStore);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        await new Promise<void>((resolve, reject) => {
          const tx = db.transaction(names.objectStore, "readwrite");
          tx.objectStore(names.objectStore).put(
            { privateKey, publicJwk: device.publicJwk, nonce: device.nonce },
            names.record,
          );
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
        db.close();
      },
      { device, names: DEVICE_KEY_STORE },
    );
  } finally {
    await page.close();
  }
}

/** The kit's view of this app (packages/playwright-token-kit/src/adapter.ts documents each field). */
export const appAdapter = defineAdapter({
  name: "jwt-silent-refresh",
  accounts: {
    credentials: (label) => uniqueCredentials(label),
    create: (api, user) => registerAccount(api, user),
  },
  // Sessions are bound to a key the browser holds (lib/client/device-key.ts): the kit keeps
  // each API sign-in's key beside its cookie (`SessionState`), signs its refreshes with it and
  // plants it in the test's browser before the page loads.
  signIn: {
    api: async (api, user) => {
      const device = createDeviceKey();
      await signInAccount(api, user, undefined, device);
      return device;
    },
  },
  signOut: signOutAccount,
  refresh: {
    path: REFRESH_PATH,
    cookie: REFRESH_COOKIE_NAME,
    send: (api, state) => refreshSession(api, { device: state as DeviceKey }),
    accountOf: (body) => {
      const email = (body as { user?: { email?: unknown } } | null)?.user?.email;
      return typeof email === "string" ? email : null;
    },
  },
  accessToken: {
    // Bound tokens (cnf.jkt) travel as `Authorization: DPoP` with a proof by the page's key.
    request: {
      header: "authorization",
      scheme: "DPoP",
      authorize: (page, token, { method, url }) =>
        pageAccessHeaders(page, method, new URL(url).pathname, token),
    },
    response: { json: "accessToken" },
  },
  expiry: { clockHeader: TEST_CLOCK_HEADER },
  signedInPage: {
    path: SIGNED_IN_PATH,
    // The session restored and the dashboard's own GET /api/notes answered (issue 27: a log
    // started before that request held its 401 and retry).
    ready: async (page) => {
      await expect(page.getByTestId("notes").getByRole("listitem").first()).toBeVisible();
    },
  },
  sessionState: {
    plant: (context, state, baseURL) => plantDeviceKey(context, baseURL, state as DeviceKey),
  },
  isApiRequest: (url) => isApiPath(url.pathname),
  errorCode: readErrorCode,
  wake: wakeServer,
});
