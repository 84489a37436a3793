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
import { randomUUID } from "node:crypto";
import { type APIRequestContext, type APIResponse, expect } from "@playwright/test";
import { type Credentials, defineAdapter } from "playwright-token-kit";
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
): Promise<void> {
  const response = await api.post("/api/auth/register", { data: user, headers });
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
  options: { cookie?: string; headers?: Record<string, string> } = {},
): Promise<APIResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers.Cookie = `${REFRESH_COOKIE_NAME}=${options.cookie}`;
  return api.post(REFRESH_PATH, { headers });
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
): Promise<void> {
  const response = await api.post("/api/auth/login", { data: user, headers });
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

/** The kit's view of this app (packages/playwright-token-kit/src/adapter.ts documents each field). */
export const appAdapter = defineAdapter({
  name: "jwt-silent-refresh",
  accounts: {
    credentials: (label) => uniqueCredentials(label),
    create: (api, user) => registerAccount(api, user),
  },
  signIn: { api: (api, user) => signInAccount(api, user) },
  signOut: signOutAccount,
  refresh: {
    path: REFRESH_PATH,
    cookie: REFRESH_COOKIE_NAME,
    accountOf: (body) => {
      const email = (body as { user?: { email?: unknown } } | null)?.user?.email;
      return typeof email === "string" ? email : null;
    },
  },
  accessToken: { response: { json: "accessToken" } },
  expiry: { clockHeader: TEST_CLOCK_HEADER },
  signedInPage: {
    path: SIGNED_IN_PATH,
    // The session restored and the dashboard's own GET /api/notes answered (issue 27: a log
    // started before that request held its 401 and retry).
    ready: async (page) => {
      await expect(page.getByTestId("notes").getByRole("listitem").first()).toBeVisible();
    },
  },
  isApiRequest: (url) => isApiPath(url.pathname),
  errorCode: readErrorCode,
  wake: wakeServer,
});
