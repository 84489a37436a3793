/**
 * The kit's promises about rotation (packages/playwright-token-kit, e2e/README.md), proven against
 * this app:
 * - why a saved storageState cannot simply be loaded by every test (rotation + reuse detection);
 * - that the worker session survives what tests do to it: a check-out after a test ended the
 *   session, or left another account's session behind, signs in again; and a check-in is what
 *   lets the next check-out renew instead.
 */
import type { Browser, BrowserContext } from "@playwright/test";
import { REFRESH_COOKIE_NAME, signInAccount, signOutAccount } from "./adapter";
import type { StorageState } from "playwright-token-kit";
import type { DeviceKey } from "./adapter";
import { DashboardPage } from "./pages/dashboard-page";
import {
  createDeviceKey,
  expect,
  expectSignedOut,
  plantDeviceKey,
  presentRefreshToken,
  readRefreshCookie,
  test,
} from "./fixtures";

async function openDashboard(context: BrowserContext): Promise<DashboardPage> {
  const dashboard = new DashboardPage(await context.newPage());
  await dashboard.goto();
  await dashboard.expectLoaded();
  return dashboard;
}

async function newContext(
  browser: Browser,
  baseURL: string | undefined,
  storageState: StorageState,
): Promise<BrowserContext> {
  return browser.newContext({ baseURL, storageState });
}

test("one saved storageState loaded by two tests trips reuse detection: the problem the kit solves", async ({
  browser,
  baseURL,
  registeredUser,
  api,
}) => {
  // The usual recipe: sign in once, save the state, load it in every test (with the session's
  // device key planted in each browser, as the kit does).
  const device = createDeviceKey();
  await signInAccount(api, registeredUser, undefined, device);
  const saved = await api.storageState();

  // The first test restores its session from the file: that spends the saved refresh token, and
  // the session's next refresh presents the token it got back (here from outside the browser).
  // From then on the saved token is neither current nor the current token's parent.
  const firstTest = await newContext(browser, baseURL, saved);
  await plantDeviceKey(firstTest, baseURL!, device);
  await openDashboard(firstTest);
  const firstTestsToken = (await readRefreshCookie(firstTest)).value;
  expect(await presentRefreshToken(api, firstTestsToken, {}, device)).toBe("200");

  // A later test loads the same file.
  const laterTest = await newContext(browser, baseURL, saved);
  await plantDeviceKey(laterTest, baseURL!, device);
  const page = await laterTest.newPage();
  await page.goto("/dashboard");

  await expectSignedOut(page, "refresh_token_reused");
  // And the first test's session went with it: the whole family is revoked.
  expect(await presentRefreshToken(api, firstTestsToken, {}, device)).toBe(
    "401 refresh_token_reused",
  );
  await firstTest.close();
  await laterTest.close();
});

test("a check-out after a test ended the worker's session signs in again", async ({
  workerSession,
  playwright,
  baseURL,
  api,
}) => {
  const before = await workerSession.checkOut();
  // What a test may do: log out (or revoke, or let the session expire).
  const aTest = await playwright.request.newContext({ baseURL, storageState: before.storageState });
  await signOutAccount(aTest);
  await aTest.dispose();

  const after = await workerSession.checkOut();

  expect(after.via).toBe("signed-in");
  expect(after.user).toEqual(before.user);
  const refresh = after.storageState.cookies.find((c) => c.name === REFRESH_COOKIE_NAME);
  expect(
    await presentRefreshToken(api, refresh?.value ?? "missing", {}, after.state as DeviceKey),
  ).toBe("200");
});

test("a check-in saves the newest refresh token, so the next check-out renews the session", async ({
  workerSession,
  browser,
  baseURL,
}) => {
  test.slow(); // three check-outs (one signs in again) and two browser sessions
  // With a check-in: the page rotated the token twice (load, reload); the file follows.
  const first = await workerSession.checkOut();
  const withCheckIn = await newContext(browser, baseURL, first.storageState);
  await plantDeviceKey(withCheckIn, baseURL!, first.state as DeviceKey);
  const dashboard = await openDashboard(withCheckIn);
  await dashboard.page.reload();
  await dashboard.expectLoaded();
  await workerSession.checkIn(withCheckIn);
  await withCheckIn.close();

  expect((await workerSession.checkOut()).via).toBe("renewed");

  // Without one: the file still holds the token the page spent two rotations ago, which the
  // server now treats as reuse. The check-out notices and signs in again.
  const second = await workerSession.checkOut();
  const withoutCheckIn = await newContext(browser, baseURL, second.storageState);
  await plantDeviceKey(withoutCheckIn, baseURL!, second.state as DeviceKey);
  const forgotten = await openDashboard(withoutCheckIn);
  await forgotten.page.reload();
  await forgotten.expectLoaded();
  await withoutCheckIn.close();

  expect((await workerSession.checkOut()).via).toBe("signed-in");
});

test("a test that signed in as someone else cannot hand that session on to the next test", async ({
  workerSession,
  browser,
  baseURL,
  registeredUser,
}) => {
  const checkedOut = await workerSession.checkOut();
  const aTest = await newContext(browser, baseURL, checkedOut.storageState);
  // Inside the test's browser, another account signs in (same cookie jar: `context.request`).
  await signInAccount(aTest.request, registeredUser);
  await workerSession.checkIn(aTest);
  await aTest.close();

  const next = await workerSession.checkOut();

  // The saved cookie is the other account's session (bound to the key that signed it in, not the
  // worker's): the check-out's renewal is refused and it signs the worker in.
  expect(next.via).toBe("signed-in");
  expect(next.user).toEqual(checkedOut.user);
});
