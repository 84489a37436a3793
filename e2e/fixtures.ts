/**
 * Shared fixtures and helpers for the end-to-end specs. Import `test` and `expect` from here.
 *
 * Every test starts from nothing: its own user (`newUser`), its own browser context, and for
 * tests about several devices, its own second context (`anotherDevice`).
 *
 * IMPORTANT: there is no "log in once and reuse storageState" setup project, although that is the
 * usual Playwright advice. A saved storageState holds a refresh token, and refresh tokens rotate:
 * the first test to use it spends it, and the next test that loads the same saved cookie presents
 * a spent token, which is exactly what reuse detection exists to catch. It revokes the session.
 * Registering a fresh user costs about a second and keeps every test independent.
 *
 * Time. The e2e server issues 3-second access tokens (playwright.config.ts), so "after expiry" is
 * a few seconds away, and specs wait for it with condition polls, never fixed sleeps. Where the
 * page's own sense of time matters (the client decides "my token looks expired" by its local
 * clock), specs drive it with Playwright's clock: see `freezePageTime`.
 */
import {
  type APIRequestContext,
  type APIResponse,
  type BrowserContext,
  type Cookie,
  type Page,
  test as base,
  expect,
} from "@playwright/test";
import { AuthNetwork, REFRESH_COOKIE_NAME } from "./auth-network";

export { expect };

/** Credentials for a user that does not exist yet. */
export interface NewUser {
  email: string;
  password: string;
  name: string;
}

export { REFRESH_COOKIE_NAME };
export const SESSION_HINT_COOKIE_NAME = "session_hint";

interface Fixtures {
  /** Unique credentials; nothing is registered. */
  newUser: NewUser;
  /** Unique credentials already registered through the API (the browser is still signed out). */
  registeredUser: NewUser;
  /** Records the `/api/*` traffic of the test's browser context (every tab in it). */
  authNetwork: AuthNetwork;
  /** A second, separate browser context: another device with its own cookie jar. */
  anotherDevice: BrowserContext;
}

interface WorkerFixtures {
  /** Wakes the server's database before the first test (runs once per worker, automatically). */
  warmServer: void;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  warmServer: [
    async ({ playwright }, use, workerInfo) => {
      // The embedded database opens on first use, which takes several seconds, and the server's
      // readiness URL (/api/health) deliberately does not touch it. Without this, whichever test
      // runs first would spend most of its timeout waiting for that one-time start. A login for
      // an unknown user reaches the database and the password hasher, and changes nothing.
      const api = await playwright.request.newContext({ baseURL: workerInfo.project.use.baseURL });
      const response = await api.post("/api/auth/login", {
        data: { email: "warm-up@example.test", password: "warm-up password" },
        timeout: 60_000,
      });
      expect(response.status(), "warm-up login for an unknown user").toBe(401);
      await api.dispose();
      await use();
    },
    { scope: "worker", auto: true, timeout: 60_000 },
  ],

  newUser: async ({}, use, testInfo) => {
    const id = `${testInfo.testId}-${testInfo.repeatEachIndex}-${Date.now()}`;
    await use({
      email: `e2e-${id}@example.test`,
      password: `correct horse ${id}`,
      name: "E2E Tester",
    });
  },

  registeredUser: async ({ newUser, request }, use) => {
    const response = await request.post("/api/auth/register", { data: newUser });
    expect(response.status(), await response.text()).toBe(201);
    await use(newUser);
  },

  authNetwork: async ({ context }, use) => {
    await use(new AuthNetwork(context));
  },

  anotherDevice: async ({ browser, baseURL }, use) => {
    // `browser.newContext()` does not inherit the config's `use` options; pass what we need.
    const context = await browser.newContext({ baseURL });
    await use(context);
    await context.close();
  },
});

/**
 * Freezes the page's wall clock before the app loads: `Date.now()` stands still (until the test
 * sets another time), while timers keep running in real time. The client then believes a token it
 * receives stays fresh, and its proactive refresh timer keeps finding nothing due, so the only way
 * left to notice an expired token is the server's 401. Applies to every tab of the context, and
 * across reloads. Returns the frozen time.
 *
 * Why not `clock.install()` + `pauseAt()`: a paused clock also stops timers, and React and the
 * Next router need theirs (a dashboard whose Suspense boundary never revealed was seen). And why
 * freeze before login: the client treats a token as expired 2 s before its end
 * (`TOKEN_EXPIRY_MARGIN_MS`), which leaves a 3-second token only one second of looking fresh.
 */
export async function freezePageTime(page: Page): Promise<number> {
  const frozenAt = Date.now();
  await page.clock.setFixedTime(frozenAt);
  return frozenAt;
}

/**
 * Waits until the server itself refuses `accessToken` as expired, by polling GET /api/me with it
 * from outside the browser. This is the server's clock, not the page's: a frozen page clock still
 * believes the token is fresh.
 */
export async function waitForServerToExpire(
  request: APIRequestContext,
  accessToken: string,
): Promise<void> {
  await expect
    .poll(
      async () => {
        const headers = { Authorization: `Bearer ${accessToken}` };
        return describeAnswer(await request.get("/api/me", { headers }));
      },
      { message: "the server should expire the access token", intervals: [250], timeout: 15_000 },
    )
    .toBe("401 token_expired");
}

/** The refresh cookie of a context, as the browser stores it (page scripts cannot see it). */
export async function readRefreshCookie(context: BrowserContext): Promise<Cookie> {
  const cookie = (await context.cookies()).find((c) => c.name === REFRESH_COOKIE_NAME);
  if (!cookie) throw new Error(`The context holds no ${REFRESH_COOKIE_NAME} cookie.`);
  return cookie;
}

/**
 * Presents a refresh token to the server from outside any browser, as a thief with a copy of the
 * cookie would, and returns the answer as `"<status> <code>"` (e.g. `"401 session_revoked"`).
 */
export async function presentRefreshToken(
  request: APIRequestContext,
  refreshToken: string,
): Promise<string> {
  const headers = { Cookie: `${REFRESH_COOKIE_NAME}=${refreshToken}` };
  return describeAnswer(await request.post("/api/auth/refresh", { headers }));
}

/** `"200"`, or `"<status> <error.code>"` for the API's error shape. */
async function describeAnswer(response: APIResponse): Promise<string> {
  if (response.ok()) return String(response.status());
  const body = (await response.json().catch(() => null)) as { error?: { code?: string } } | null;
  return `${response.status()} ${body?.error?.code ?? "without a code"}`;
}
