/**
 * Two tabs, one refresh cookie.
 *
 * Tabs share the cookie jar but not memory, so both hold access tokens of the same session and
 * both want to refresh when they expire. If each spent the same refresh token, the server would
 * see a spent token come back and revoke the session (reuse detection). Proves that the Web Lock
 * and the BroadcastChannel in lib/client/auth-client.ts prevent that, even when both tabs' timers
 * fire at the same moment, and that logging out in one tab signs out the other.
 */
import { randomUUID } from "node:crypto";
import { DashboardPage } from "./pages/dashboard-page";
import { LoginPage } from "./pages/login-page";
import { RegisterPage } from "./pages/register-page";
import { SessionsPage } from "./pages/sessions-page";
import {
  expect,
  expectSignedOut,
  openSecondTab,
  presentRefreshToken,
  readRefreshCookie,
  test,
} from "./fixtures";

test("two tabs refresh the same session past expiry without tripping reuse detection", async ({
  signedInPage,
  context,
  time,
  authNetwork,
}) => {
  const tabA = new DashboardPage(signedInPage);
  await tabA.expectLoaded();
  const tabB = new DashboardPage(await openSecondTab(context));
  await tabB.expectLoaded();
  authNetwork.clear();

  // A laptop wakes from sleep six minutes later: both tabs' proactive timers come due in the same
  // jump, and both go for the refresh at once, with the same cookie jar.
  await time.advance("6m");
  const note = `Written in tab A after expiry (${randomUUID()})`;
  await tabA.addNote(note);
  await tabB.fireParallelRequests();

  await expect(tabA.notes.first()).toContainText(note);
  await expect(tabB.parallelResult).toContainText("200, 200, 200, 200, 200");
  const traffic = await authNetwork.summary();
  expect(traffic.refreshes).toBeGreaterThanOrEqual(1);
  expect(traffic.failedRefreshes).toEqual([]);
  expect(traffic.unauthorized).toEqual({});
  // The tabs took turns (the Web Lock), and each sent the cookie the previous refresh had just
  // set: no refresh token was presented twice. Without the lock both tabs would send the same
  // cookie at once, and only the server's grace window would stand between them and reuse.
  const presented = await authNetwork.presentedRefreshTokens();
  expect(presented).not.toContain(null);
  expect(presented, "refresh tokens presented more than once").toEqual([...new Set(presented)]);
  await expect(tabA.page).toHaveURL("/dashboard");
  await expect(tabB.page).toHaveURL("/dashboard");
  // The session lives on: the sessions page still finds this browser's session among the user's.
  await tabA.header.open("Sessions");
  await expect(new SessionsPage(signedInPage).currentRow).toHaveCount(1);
});

test("logging out in one tab signs out the other", async ({ signedInPage, context, api }) => {
  const tabA = new DashboardPage(signedInPage);
  await tabA.expectLoaded();
  const tabB = new DashboardPage(await openSecondTab(context));
  await tabB.expectLoaded();
  const refreshCookie = await readRefreshCookie(context);

  await tabA.header.logOut();

  await expectSignedOut(tabA.page, "logged_out");
  await expectSignedOut(tabB.page, "logged_out_elsewhere");
  await expect(tabB.page).toHaveURL("/login?reason=logged_out_elsewhere&next=%2Fdashboard");
  // The server ended the session too: the last refresh token the tabs held is dead...
  expect(await presentRefreshToken(api, refreshCookie.value)).toBe("401 session_revoked");
  // ...and the browser has no cookie left to try.
  await tabB.goto();
  await expect(tabB.page).toHaveURL("/login?next=%2Fdashboard");
});

// Issue 27: the other tab was told at once, left for the login page while the logout was still
// on its way, and that page load, still holding the session hint, asked for a refresh: one
// POST /api/auth/refresh → 401 and a console error. The tab was told there is no session; it
// must not ask.
test("after a logout in one tab, the other leaves without a refresh call or a console error", async ({
  page,
  context,
  newUser,
  authNetwork,
}) => {
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(newUser);
  const tabA = new DashboardPage(page);
  await tabA.expectLoaded();
  const tabB = new DashboardPage(await openSecondTab(context));
  await tabB.expectLoaded();
  const errors: string[] = [];
  tabB.page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  tabB.page.on("pageerror", (error) => errors.push(error.message));
  authNetwork.clear();

  await tabA.header.logOut();

  await expectSignedOut(tabA.page, "logged_out");
  await expectSignedOut(tabB.page, "logged_out_elsewhere");
  // Signing in again from tab B's login page: its form works only once the page has hydrated,
  // and a page load's restore is sent as it hydrates, so any refresh it made is in the log now.
  await new LoginPage(tabB.page).login(newUser);
  await expect(tabB.page).toHaveURL("/dashboard");
  await tabB.expectLoaded();

  const log = await authNetwork.log();
  expect(log).toContainEqual(expect.stringMatching(/^POST \/api\/auth\/logout .*→ 204$/));
  expect(log).toContain("POST /api/auth/login → 200");
  expect(log.filter((line) => line.startsWith("POST /api/auth/refresh"))).toEqual([]);
  expect(errors).toEqual([]);
});
