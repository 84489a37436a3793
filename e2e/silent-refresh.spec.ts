/**
 * Silent refresh: an expired access token never reaches the user as an error.
 *
 * Proves, on the network, the two ways the fetch wrapper (lib/client/auth-client.ts) finds out:
 * - The server says so: a request is answered 401 token_expired. The wrapper refreshes once and
 *   retries once with the new token. Five such requests at once still cost one refresh.
 * - The page's own clock says so: the wrapper refreshes before sending, and no request gets a 401.
 *
 * To reach the first path, the page's clock is frozen before it gets a token (`freezePageTime`):
 * the page then believes its token is fresh forever, while the server's clock runs on. The test
 * waits until the server refuses that token (`waitForServerToExpire`) and only then acts.
 */
import type { Page } from "@playwright/test";
import { DashboardPage } from "./pages/dashboard-page";
import { RegisterPage } from "./pages/register-page";
import { expect, freezePageTime, type NewUser, test, waitForServerToExpire } from "./fixtures";

async function signUpOnDashboard(page: Page, user: NewUser): Promise<DashboardPage> {
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(user);
  const dashboard = new DashboardPage(page);
  await expect(dashboard.notes).toHaveCount(3);
  return dashboard;
}

test("an action after the token expired costs one 401, one refresh and one retry", async ({
  page,
  newUser,
  authNetwork,
  request,
}) => {
  await freezePageTime(page);
  const dashboard = await signUpOnDashboard(page, newUser);
  await waitForServerToExpire(request, await authNetwork.lastAccessToken());
  authNetwork.clear();

  await dashboard.addNote("Written after the access token expired");

  await expect(dashboard.notes.first()).toHaveText(/Written after the access token expired/);
  expect(await authNetwork.log()).toEqual([
    "POST /api/notes (token 1) → 401 token_expired",
    "POST /api/auth/refresh → 200",
    "POST /api/notes (token 2) → 201",
  ]);
});

test("five requests that all meet an expired token share one refresh", async ({
  page,
  newUser,
  authNetwork,
  request,
}) => {
  await freezePageTime(page);
  const dashboard = await signUpOnDashboard(page, newUser);
  await waitForServerToExpire(request, await authNetwork.lastAccessToken());
  authNetwork.clear();

  await dashboard.fireParallelRequests();

  await expect(dashboard.parallelResult).toContainText("200, 200, 200, 200, 200");
  await expect(dashboard.parallelRefreshes).toHaveText("1");
  expect(await authNetwork.summary()).toEqual({
    refreshes: 1,
    failedRefreshes: [],
    unauthorized: { token_expired: 5 },
    retries: 5,
  });
  expect(await authNetwork.log()).toEqual([
    ...Array<string>(5).fill("GET /api/me (token 1) → 401 token_expired"),
    "POST /api/auth/refresh → 200",
    ...Array<string>(5).fill("GET /api/me (token 2) → 200"),
  ]);
});

test("a page that knows its token expired refreshes once before sending, and nothing gets a 401", async ({
  page,
  newUser,
  authNetwork,
}) => {
  const frozenAt = await freezePageTime(page);
  const dashboard = await signUpOnDashboard(page, newUser);
  authNetwork.clear();

  // A minute later, as far as the page can tell: its token looks expired, whatever the server
  // thinks of it.
  await page.clock.setFixedTime(frozenAt + 60_000);
  await dashboard.fireParallelRequests();

  await expect(dashboard.parallelResult).toContainText("200, 200, 200, 200, 200");
  // (Not asserting the demo's own refresh count: the proactive timer may notice the jump just
  // before the click and do this one refresh itself. The network sees the same either way.)
  expect(await authNetwork.log()).toEqual([
    "POST /api/auth/refresh → 200",
    ...Array<string>(5).fill("GET /api/me (token 2) → 200"),
  ]);
});
