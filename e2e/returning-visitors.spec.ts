/**
 * Returning visitors are never bounced.
 *
 * Proves that:
 * - a browser holding a dead refresh cookie (its session was ended) that opens `/`, `/login` or
 *   `/register` stays there: no navigation of any kind, what the visitor typed while the page was
 *   asking the server is kept, and so is `next`. Only a protected page sends it to the login page,
 *   saying why;
 * - a signed-in user who opens `/login` or `/register` goes on to the dashboard (or `next`);
 * - a browser with no session hint sends no restore request at all (so no red 401 in the
 *   console), and a signed-in user never sees the landing page's sign-in buttons flash.
 */
import type { APIRequestContext, BrowserContext, Cookie, Page, Route } from "@playwright/test";
import { createDeviceKey, plantDeviceKey, signInAccount, signOutAccount } from "./adapter";
import { AppHeader } from "./pages/app-header";
import { LoginPage } from "./pages/login-page";
import {
  REFRESH_COOKIE_NAME,
  SESSION_HINT_COOKIE_NAME,
  expect,
  expectSignedOut,
  test,
} from "./fixtures";

const REFRESH = "/api/auth/refresh";

/**
 * The cookies a browser keeps after its session has ended elsewhere: signed in through the API,
 * cookies copied, then logged out (the session is revoked, the copies are dead).
 */
async function deadSessionCookies(
  api: APIRequestContext,
  user: { email: string; password: string },
  browser: BrowserContext,
  baseURL: string,
): Promise<Cookie[]> {
  // The browser kept the session's key too, as it would after a sign-in of its own.
  const device = createDeviceKey();
  await signInAccount(api, user, undefined, device);
  await plantDeviceKey(browser, baseURL, device);
  // The device cookie (lib/auth/device-cookie.ts) outlives a session on purpose: not a dead one.
  const cookies = (await api.storageState()).cookies.filter(
    (c) => !/^(__Secure-)?device_/.test(c.name),
  );
  await signOutAccount(api);
  expect(cookies.map((c) => c.name).sort()).toEqual([
    REFRESH_COOKIE_NAME,
    SESSION_HINT_COOKIE_NAME,
  ]);
  return cookies.map(({ name, value, domain, path, expires, httpOnly, secure, sameSite }) => ({
    name,
    value,
    domain,
    path,
    expires,
    httpOnly,
    secure,
    sameSite,
  }));
}

/**
 * Holds the page's next refresh call until `release()`; `sent` resolves once the page has sent it
 * (so the page is hydrated and its restore is under way).
 */
async function holdNextRefresh(page: Page) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let markSent!: () => void;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  await page.route(
    REFRESH,
    async (route: Route) => {
      markSent();
      await released;
      await route.fulfill({ response: await route.fetch() });
    },
    { times: 1 },
  );
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === REFRESH);
  return { sent, release, answered };
}

/**
 * Marks the loaded document; `stillSameDocument()` is false once anything has replaced it (a
 * redirect, a reload, `location.assign`). The URL assertions catch client-side route changes.
 */
async function markDocument(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => {
    (window as unknown as { __e2eSameDocument?: boolean }).__e2eSameDocument = true;
  });
  return () =>
    page.evaluate(
      () => (window as unknown as { __e2eSameDocument?: boolean }).__e2eSameDocument === true,
    );
}

test("a dead refresh cookie on /login: no bounce, typed input and next kept", async ({
  page,
  context,
  registeredUser,
  api,
  baseURL,
}) => {
  test.slow(); // several sign-ins (argon2) on a loaded machine
  const dead = await deadSessionCookies(api, registeredUser, context, baseURL!);
  await context.addCookies(dead);
  const hold = await holdNextRefresh(page);
  await page.goto("/login?next=%2Fsessions");
  await hold.sent;
  const stillSameDocument = await markDocument(page);

  const login = new LoginPage(page);
  await login.email.fill(registeredUser.email);
  hold.release();
  const answer = await hold.answered;

  expect(answer.status()).toBe(401);
  expect((await answer.json()).error.code).toBe("session_revoked");
  // The server cleared the dead cookie; the page stayed, with what was typed.
  await expect.poll(async () => (await context.cookies()).map((c) => c.name).sort()).toEqual([]);
  await expect(page).toHaveURL("/login?next=%2Fsessions");
  await expect(login.email).toHaveValue(registeredUser.email);
  expect(await stillSameDocument()).toBe(true);

  // And `next` still works: signing in from here lands on /sessions.
  await login.password.fill(registeredUser.password);
  await login.submitButton.click();
  await expect(page).toHaveURL("/sessions");
});

test("a dead refresh cookie on / and /register: the visitor stays, signed-out links shown", async ({
  page,
  context,
  registeredUser,
  api,
  baseURL,
}) => {
  test.slow(); // several sign-ins (argon2) on a loaded machine
  const dead = await deadSessionCookies(api, registeredUser, context, baseURL!);

  await context.addCookies(dead);
  let hold = await holdNextRefresh(page);
  await page.goto("/");
  await hold.sent;
  let stillSameDocument = await markDocument(page);
  // While the page asks, it shows neither the signed-in nor the signed-out buttons.
  await expect(page.getByTestId("landing-restoring")).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" })).toHaveCount(0);
  hold.release();
  expect((await hold.answered).status()).toBe(401);
  await expect(page.getByRole("link", { name: "Create an account" })).toBeVisible();
  await expect(page).toHaveURL("/");
  expect(await stillSameDocument()).toBe(true);

  await context.addCookies(dead);
  hold = await holdNextRefresh(page);
  await page.goto("/register?next=%2Finspector");
  await hold.sent;
  stillSameDocument = await markDocument(page);
  const email = page.getByRole("form", { name: "Create an account" }).getByLabel("Email");
  await email.fill("typed-while-waiting@example.test");
  hold.release();
  expect((await hold.answered).status()).toBe(401);
  await expect.poll(async () => (await context.cookies()).length).toBe(0);
  await expect(page).toHaveURL("/register?next=%2Finspector");
  await expect(email).toHaveValue("typed-while-waiting@example.test");
  expect(await stillSameDocument()).toBe(true);
});

test("a dead refresh cookie on a protected page goes to login, saying why", async ({
  page,
  context,
  registeredUser,
  api,
  baseURL,
}) => {
  const dead = await deadSessionCookies(api, registeredUser, context, baseURL!);
  await context.addCookies(dead);

  await page.goto("/sessions?tab=1");

  await expectSignedOut(page, "session_revoked");
  await expect(page).toHaveURL("/login?reason=session_revoked&next=%2Fsessions%3Ftab%3D1");
});

test("a signed-in user who opens /login or /register goes on to the dashboard, or to next", async ({
  signedInPage: page,
}) => {
  await page.goto("/login");
  await expect(page).toHaveURL("/dashboard");
  await expect(new AppHeader(page).signedInAs).toBeAttached();

  await page.goto("/register");
  await expect(page).toHaveURL("/dashboard");

  await page.goto("/login?next=%2Fsessions");
  await expect(page).toHaveURL("/sessions");
});

test("without a session hint, no page sends a restore request or logs an error", async ({
  page,
  authNetwork,
}) => {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });

  for (const path of ["/", "/login", "/register"]) {
    await page.goto(path);
    await expect(page.locator("main")).toBeVisible();
  }
  await expect(page.getByRole("form", { name: "Create an account" })).toBeVisible();
  await page.goto("/");
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();

  expect(await authNetwork.log()).toEqual([]);
  expect(errors).toEqual([]);
});

test("a signed-in user never sees the landing page's sign-in buttons", async ({
  signedInPage: page,
}) => {
  // The server renders the landing page for a browser with a session hint without them...
  const html = await (await page.request.get("/")).text();
  expect(html).toContain("Restoring your session…");
  expect(html).not.toContain("Create an account");

  // ...and the page goes straight from "restoring" to the signed-in links.
  const hold = await holdNextRefresh(page);
  await page.goto("/");
  await hold.sent;
  await expect(page.getByTestId("landing-restoring")).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" })).toHaveCount(0);
  hold.release();
  await expect(page.getByRole("link", { name: "Go to your dashboard" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" })).toHaveCount(0);
});
