/**
 * Silent refresh: an expired access token never reaches the user as an error.
 *
 * Proves, on the network, the ways the fetch wrapper (lib/client/auth-client.ts) finds out that
 * its 5-minute token is done, with time moved by the kit (`time`) instead of waited for:
 * - Only the server knows (`time.expireAccessToken`: the server's clock moves, the page's does
 *   not). A request is answered 401 token_expired; the wrapper refreshes once and retries once
 *   with the new token. Five such requests at once still cost one refresh.
 * - Both know (`time.advance`: browser and server move together). The wrapper's proactive timer
 *   refreshes before anything is sent, and no request ever gets a 401.
 * And the one thing a refresh cannot fix: a session left idle past its limit ends.
 */
import { randomUUID } from "node:crypto";
import { DashboardPage } from "./pages/dashboard-page";
import { expect, expectSignedOut, test } from "./fixtures";

test("an action after the server expired the token costs one 401, one refresh and one retry", async ({
  signedInPage,
  time,
  authNetwork,
}) => {
  const dashboard = new DashboardPage(signedInPage);
  await dashboard.expectLoaded();
  await time.expireAccessToken(await authNetwork.lastAccessToken());
  authNetwork.clear();

  // The worker's account keeps its notes from test to test: this one must be told apart.
  const note = `Written after the access token expired (${randomUUID()})`;
  await dashboard.addNote(note);

  await expect(dashboard.notes.first()).toContainText(note);
  expect(await authNetwork.log()).toEqual([
    "POST /api/notes (token 1) → 401 token_expired",
    "POST /api/auth/refresh → 200",
    "POST /api/notes (token 2) → 201",
  ]);
});

test("five requests that all meet an expired token share one refresh", async ({
  signedInPage,
  time,
  authNetwork,
}) => {
  const dashboard = new DashboardPage(signedInPage);
  await dashboard.expectLoaded();
  await time.expireAccessToken(await authNetwork.lastAccessToken());
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

test("six minutes later the page has refreshed on its own, and nothing gets a 401", async ({
  signedInPage,
  time,
  authNetwork,
}) => {
  const dashboard = new DashboardPage(signedInPage);
  await dashboard.expectLoaded();
  authNetwork.clear();

  await time.advance("6m");
  await dashboard.fireParallelRequests();

  await expect(dashboard.parallelResult).toContainText("200, 200, 200, 200, 200");
  // The proactive timer came due in the jump and refreshed, or the click found the token expired
  // by the page's clock and refreshed first: the network sees the same either way.
  expect(await authNetwork.log()).toEqual([
    "POST /api/auth/refresh → 200",
    ...Array<string>(5).fill("GET /api/me (token 2) → 200"),
  ]);
});

test("an open page stays signed in for an hour: one quiet refresh per token lifetime", async ({
  signedInPage,
  time,
  authNetwork,
}) => {
  const dashboard = new DashboardPage(signedInPage);
  await dashboard.expectLoaded();
  authNetwork.clear();

  for (let minute = 5; minute <= 60; minute += 5) {
    await time.advance("5m");
    await expect
      .poll(async () => (await authNetwork.summary()).refreshes, { message: `at ${minute} min` })
      .toBe(minute / 5);
  }

  const traffic = await authNetwork.summary();
  expect(traffic.failedRefreshes).toEqual([]);
  expect(traffic.unauthorized).toEqual({});
  await dashboard.reloadNotes();
  await dashboard.expectLoaded();
  await expect(signedInPage).toHaveURL("/dashboard");
});

test("a session left idle for eight days ends: the page goes to login and says why", async ({
  signedInPage,
  time,
}) => {
  await new DashboardPage(signedInPage).expectLoaded();

  // Past SESSION_IDLE_TIMEOUT_SECONDS (7 days): the refresh the jump sets off is refused.
  await time.advance("8d");

  await expectSignedOut(signedInPage, "session_expired");
});
