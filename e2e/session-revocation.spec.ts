/**
 * Ending a session from another device.
 *
 * The sessions page lists one row per login per device. Proves that revoking another device's
 * row ends that session on the server: that device is sent to the login page, with the reason
 * session_revoked, as soon as it next refreshes (here: a reload), while this device is untouched.
 * And that "Log out everywhere" ends every session, this one included.
 *
 * The other device's page time is frozen (`freezePageTime`) so that it refreshes only when the
 * test reloads it: with 3-second tokens its own timer would otherwise refresh, fail and navigate
 * at a moment of its choosing, possibly in the middle of the test's reload.
 */
import { DashboardPage } from "./pages/dashboard-page";
import { LoginPage } from "./pages/login-page";
import { RegisterPage } from "./pages/register-page";
import { SessionsPage } from "./pages/sessions-page";
import { expect, freezePageTime, test } from "./fixtures";

test("revoking another device's session signs that device out at its next refresh", async ({
  page,
  newUser,
  anotherDevice,
}) => {
  test.slow(true, "Two browsers, each signing in (a password hash) and loading the app.");
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(newUser);
  await expect(new DashboardPage(page).notes).toHaveCount(3);
  const laptop = await anotherDevice.newPage();
  await freezePageTime(laptop);
  await new LoginPage(laptop).goto();
  await new LoginPage(laptop).login(newUser);
  await expect(new DashboardPage(laptop).notes).toHaveCount(3);

  const sessions = new SessionsPage(page);
  await sessions.goto();
  await expect(sessions.rows).toHaveCount(2);
  await expect(sessions.currentRow).toHaveCount(1);
  await sessions.revoke(sessions.otherRows);

  await expect(sessions.rows).toHaveCount(1);
  await expect(sessions.currentRow).toHaveCount(1);
  await laptop.reload();
  await expect(laptop).toHaveURL("/login?reason=session_revoked&next=%2Fdashboard");
  await expect(new LoginPage(laptop).signOutReason).toHaveText(
    "Your session was ended from another device. Please sign in again.",
  );
  // This device is untouched: a full reload restores its session and still lists it.
  await page.reload();
  await expect(sessions.header.signedInAs).toContainText(newUser.email);
  await expect(sessions.rows).toHaveCount(1);
});

test("log out everywhere ends every session of the user", async ({
  page,
  newUser,
  anotherDevice,
}) => {
  test.slow(true, "Two browsers, each signing in (a password hash) and loading the app.");
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(newUser);
  await expect(new DashboardPage(page).notes).toHaveCount(3);
  const laptop = await anotherDevice.newPage();
  await freezePageTime(laptop);
  await new LoginPage(laptop).goto();
  await new LoginPage(laptop).login(newUser);
  await expect(new DashboardPage(laptop).notes).toHaveCount(3);

  const sessions = new SessionsPage(page);
  await sessions.goto();
  await expect(sessions.rows).toHaveCount(2);
  await sessions.logOutEverywhereButton.click();

  await expect(page).toHaveURL("/login?reason=logged_out");
  await laptop.reload();
  await expect(laptop).toHaveURL("/login?reason=session_revoked&next=%2Fdashboard");
});
