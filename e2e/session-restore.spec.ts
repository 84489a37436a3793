/**
 * A reload keeps the session, although the access token lives only in page memory.
 *
 * Proves that a page load restores the session with exactly one refresh call (the httpOnly
 * refresh cookie is the only thing that survives a reload), and that the tokens are kept where
 * the design says: the access token nowhere a script could persist or find it later, the refresh
 * token in a cookie page scripts cannot read and the browser sends only to /api/auth.
 */
import { DashboardPage } from "./pages/dashboard-page";
import { RegisterPage } from "./pages/register-page";
import { expect, freezePageTime, readRefreshCookie, test } from "./fixtures";

test("a reload restores the session with one refresh call", async ({
  page,
  newUser,
  authNetwork,
}) => {
  // A frozen page clock keeps the 3-second tokens from coming due for a proactive or pre-emptive
  // refresh in the middle of the test, so the only refresh on the wire is the reload's.
  await freezePageTime(page);
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(newUser);
  const dashboard = new DashboardPage(page);
  await expect(dashboard.notes).toHaveCount(3);
  authNetwork.clear();

  await page.reload();

  await expect(dashboard.header.signedInAs).toContainText(newUser.email);
  await expect(dashboard.notes).toHaveCount(3);
  expect(await authNetwork.log()).toEqual([
    "POST /api/auth/refresh → 200",
    "GET /api/notes (token 2) → 200",
  ]);
});

test("the access token stays in memory and the refresh token in an httpOnly cookie", async ({
  page,
  context,
  newUser,
  authNetwork,
}) => {
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(newUser);
  await expect(new DashboardPage(page).notes).toHaveCount(3);
  const accessToken = await authNetwork.lastAccessToken();

  const visibleToScripts = await page.evaluate(() =>
    JSON.stringify({
      local: { ...localStorage },
      session: { ...sessionStorage },
      cookies: document.cookie,
    }),
  );
  expect(visibleToScripts).not.toContain(accessToken);
  expect(visibleToScripts).not.toContain("refresh_token");

  const refreshCookie = await readRefreshCookie(context);
  expect(refreshCookie).toMatchObject({
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: "/api/auth",
  });
});
