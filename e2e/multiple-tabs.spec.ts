/**
 * Two tabs, one refresh cookie.
 *
 * Tabs share the cookie jar but not memory, so both hold access tokens of the same session and
 * both want to refresh when they expire. If each spent the same refresh token, the server would
 * see a spent token come back and revoke the session (reuse detection). Proves that the Web Lock
 * and the BroadcastChannel in lib/client/auth-client.ts prevent that, even when both tabs'
 * refresh timers fire at the same moment, and that logging out in one tab signs out the other.
 */
import { DashboardPage } from "./pages/dashboard-page";
import { LoginPage } from "./pages/login-page";
import { RegisterPage } from "./pages/register-page";
import { SessionsPage } from "./pages/sessions-page";
import {
  expect,
  presentRefreshToken,
  readRefreshCookie,
  test,
  waitForServerToExpire,
} from "./fixtures";

test("two tabs refresh the same session past expiry without tripping reuse detection", async ({
  page,
  context,
  newUser,
  authNetwork,
  request,
}) => {
  test.slow(true, "Two tabs loading the app, plus a wait for server-side expiry.");
  // The clock runs normally; installing it lets the test move the tabs' wall clock later on.
  await page.clock.install();
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(newUser);
  const tabA = new DashboardPage(page);
  await expect(tabA.notes).toHaveCount(3);
  const tabB = new DashboardPage(await context.newPage());
  await tabB.goto();
  await expect(tabB.notes).toHaveCount(3);
  const tokenBeforeExpiry = await authNetwork.lastAccessToken();
  authNetwork.clear();

  // A laptop wakes from sleep: the clock has jumped a minute ahead, no timer fired meanwhile, and
  // both tabs hear "online" at the same moment. Both find their token expired and go for the
  // refresh at once, with the same cookie jar. Then let the server expire the old tokens too.
  await page.clock.setSystemTime(Date.now() + 60_000);
  await Promise.all(
    [tabA.page, tabB.page].map((tab) =>
      tab.evaluate(() => window.dispatchEvent(new Event("online"))),
    ),
  );
  await waitForServerToExpire(request, tokenBeforeExpiry);

  await tabA.addNote("Written in tab A after expiry");
  await tabB.fireParallelRequests();

  await expect(tabA.notes.first()).toHaveText(/Written in tab A after expiry/);
  await expect(tabB.parallelResult).toContainText("200, 200, 200, 200, 200");
  const traffic = await authNetwork.summary();
  expect(traffic.refreshes).toBeGreaterThanOrEqual(1);
  expect(traffic.failedRefreshes).toEqual([]);
  // The tabs took turns (the Web Lock), and each sent the cookie the previous refresh had just
  // set: no refresh token was presented twice. Without the lock both tabs would send the same
  // cookie at once, and only the server's grace window would stand between them and reuse.
  const presented = await authNetwork.presentedRefreshTokens();
  expect(presented).not.toContain(null);
  expect(presented, "refresh tokens presented more than once").toEqual([...new Set(presented)]);
  await expect(tabA.page).toHaveURL("/dashboard");
  await expect(tabB.page).toHaveURL("/dashboard");
  // Still one live session: nothing was revoked and nothing started over.
  await tabA.header.open("Sessions");
  const sessions = new SessionsPage(page);
  await expect(sessions.rows).toHaveCount(1);
  await expect(sessions.currentRow).toHaveCount(1);
});

test("logging out in one tab signs out the other", async ({ page, context, newUser, request }) => {
  test.slow(true, "Two tabs, each loading the app and restoring the session.");
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(newUser);
  const tabA = new DashboardPage(page);
  await expect(tabA.notes).toHaveCount(3);
  const tabB = new DashboardPage(await context.newPage());
  await tabB.goto();
  await expect(tabB.notes).toHaveCount(3);
  const refreshCookie = await readRefreshCookie(context);

  await tabA.header.logOut();

  await expect(tabA.page).toHaveURL("/login?reason=logged_out");
  await expect(new LoginPage(tabA.page).signOutReason).toHaveText("You have signed out.");
  await expect(tabB.page).toHaveURL("/login?reason=logged_out_elsewhere&next=%2Fdashboard");
  await expect(new LoginPage(tabB.page).signOutReason).toHaveText("You signed out in another tab.");
  // The server ended the session too: the last refresh token the tabs held is dead...
  expect(await presentRefreshToken(request, refreshCookie.value)).toBe("401 session_revoked");
  // ...and the browser no longer has a cookie to try.
  await tabB.goto();
  await expect(tabB.page).toHaveURL("/login?next=%2Fdashboard");
});
