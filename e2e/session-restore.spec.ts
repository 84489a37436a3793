/**
 * A reload keeps the session, although the access token lives only in page memory.
 *
 * Proves that a page load restores the session with exactly one refresh call (the httpOnly
 * refresh cookie is the only thing that survives a reload), and that the tokens are kept where
 * the design says: the access token nowhere a script could persist or find it later, the refresh
 * token in a cookie page scripts cannot read and the browser sends only to /api/auth.
 *
 * These tests only need to be signed in, so the browser starts from the worker's saved session
 * (`signedIn`: the setup project's storageState, checked out fresh for each test).
 */
import { DashboardPage } from "./pages/dashboard-page";
import { expect, readRefreshCookie, test } from "./fixtures";

test.use({ signedIn: true });

test("a page load restores the session with one refresh call, and so does a reload", async ({
  page,
  workerUser,
  authNetwork,
}) => {
  const dashboard = new DashboardPage(page);

  await dashboard.goto();

  await expect(dashboard.header.signedInAs).toContainText(workerUser.email);
  await dashboard.expectLoaded();
  expect(await authNetwork.log()).toEqual([
    "POST /api/auth/refresh → 200",
    "GET /api/notes (token 1) → 200",
  ]);
  authNetwork.clear();

  await page.reload();

  await expect(dashboard.header.signedInAs).toContainText(workerUser.email);
  await dashboard.expectLoaded();
  expect(await authNetwork.log()).toEqual([
    "POST /api/auth/refresh → 200",
    "GET /api/notes (token 2) → 200",
  ]);
});

test("the access token stays in memory and the refresh token in an httpOnly cookie", async ({
  page,
  context,
  authNetwork,
}) => {
  const dashboard = new DashboardPage(page);
  await dashboard.goto();
  await dashboard.expectLoaded();
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
