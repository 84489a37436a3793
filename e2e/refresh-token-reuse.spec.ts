/**
 * Reuse detection: a copied refresh token that comes back ends the whole session.
 *
 * A thief copies the victim's refresh cookie into another browser. The victim keeps using the
 * app, so the copied token gets rotated away and becomes an ancestor of the current one. When the
 * thief presents it, the server cannot tell who is who, so it revokes the session family for both.
 * Proves that the thief gets nothing, that the victim's tab lands on the login page at its next
 * refresh with the reason (refresh_token_reused) and a sentence saying the session was used
 * elsewhere, and that even the victim's newest refresh token is dead.
 */
import { DashboardPage } from "./pages/dashboard-page";
import { LoginPage } from "./pages/login-page";
import { RegisterPage } from "./pages/register-page";
import {
  SESSION_HINT_COOKIE_NAME,
  expect,
  presentRefreshToken,
  readRefreshCookie,
  test,
} from "./fixtures";

test("replaying an old refresh cookie from another browser signs out the thief and the victim", async ({
  page,
  context,
  newUser,
  anotherDevice,
  request,
}) => {
  test.slow(true, "Two browsers, two reloads, and a wait for the victim to refresh.");
  await page.clock.install();
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(newUser);
  const victim = new DashboardPage(page);
  await expect(victim.notes).toHaveCount(3);
  const stolenCookie = await readRefreshCookie(context);

  // Two reloads, two rotations: the stolen token is now two generations old. (One generation
  // back is forgiven for a few seconds, for a response lost on the network.)
  for (let reload = 0; reload < 2; reload++) {
    await page.reload();
    await expect(victim.notes).toHaveCount(3);
  }
  const victimsNewestToken = (await readRefreshCookie(context)).value;
  expect(victimsNewestToken).not.toBe(stolenCookie.value);

  // The thief's browser, with the victim's old cookies.
  const sessionHint = (await context.cookies()).filter((c) => c.name === SESSION_HINT_COOKIE_NAME);
  await anotherDevice.addCookies([stolenCookie, ...sessionHint]);
  const thief = await anotherDevice.newPage();
  await thief.goto("/dashboard");

  await expect(thief).toHaveURL("/login?reason=refresh_token_reused&next=%2Fdashboard");

  // The victim's next refresh: its proactive timer, brought forward with the page clock (unless
  // it came due on its own meanwhile; the outcome is the same).
  await page.clock.fastForward(10_000);

  await expect(page).toHaveURL("/login?reason=refresh_token_reused&next=%2Fdashboard");
  await expect(new LoginPage(page).signOutReason).toContainText("your session was used elsewhere");
  // (The reason in the URL is the code the server refused the refresh with; the network log
  // cannot show it here, because the page navigated away before its body could be read.)
  expect(await presentRefreshToken(request, victimsNewestToken)).toBe("401 refresh_token_reused");
});
