/**
 * The 401 path on demand, from the dashboard.
 *
 * Proactive refresh renews the access token 30 seconds before it expires, so in normal use no
 * request ever meets a 401 and the retry path stays invisible. "Expire my access token now" has
 * the server sign a genuinely expired token for this session (POST /api/auth/expired-access-token,
 * no flag needed: an expired token grants nothing), and proves that the next protected call, the
 * notes' Reload, shows exactly one 401, one refresh and a successful retry, and that the page says
 * so. The server is the e2e one, but nothing here uses its test clock or dev scenarios.
 */
import { DashboardPage } from "./pages/dashboard-page";
import { expect, test } from "./fixtures";

test("Expire my access token now: the next Reload shows one 401, one refresh and a successful retry", async ({
  signedInPage: page,
  authNetwork,
}) => {
  const dashboard = new DashboardPage(page);
  await dashboard.expectLoaded();
  // The worker's account is shared by the worker's tests, some of which add notes: compare with
  // what this page showed before, not with the three welcome notes.
  const notesBefore = await dashboard.notes.count();
  const status = page.getByTestId("expire-now-status");
  authNetwork.clear();

  await page.getByRole("button", { name: "Expire my access token now" }).click();

  await expect(status).toContainText("This tab now holds an expired access token");
  expect(await authNetwork.log()).toEqual(["POST /api/auth/expired-access-token (token 1) → 200"]);
  authNetwork.clear();

  await dashboard.reloadNotes();

  await expect(page.getByTestId("expire-now-verdict")).toHaveText(
    "You stayed signed in, and the notes never saw the 401.",
  );
  await expect(page.getByTestId("expire-now-steps").getByRole("listitem")).toHaveText([
    "✓/api/notes answered 401 token_expired",
    "✓One refresh with the httpOnly cookie",
    "✓The retry answered 200",
  ]);
  expect(await authNetwork.log()).toEqual([
    "GET /api/notes (token 2) → 401 token_expired",
    "POST /api/auth/refresh → 200",
    "GET /api/notes (token 3) → 200",
  ]);
  await expect(dashboard.notes).toHaveCount(notesBefore);
  await expect(page).toHaveURL("/dashboard");
});

// Issue 27: after the swap, "Fire 5 requests" met the 401, and the card told it as the notes'
// story ("… and the notes never saw the 401"). Every line must tell the requests that ran.
test("Expire my access token now, then Fire 5 requests: the card tells those five requests", async ({
  signedInPage: page,
  authNetwork,
}) => {
  const dashboard = new DashboardPage(page);
  await dashboard.expectLoaded();
  await page.getByRole("button", { name: "Expire my access token now" }).click();
  await expect(page.getByTestId("expire-now-status")).toContainText(
    "This tab now holds an expired access token",
  );
  authNetwork.clear();

  await dashboard.fireParallelRequests();

  await expect(page.getByTestId("expire-now-steps").getByRole("listitem")).toHaveText([
    "✓5 requests to /api/me answered 401 token_expired",
    "✓One refresh with the httpOnly cookie",
    "✓All 5 retries answered 200",
  ]);
  await expect(page.getByTestId("expire-now-verdict")).toHaveText(
    "You stayed signed in, and the 5 requests to /api/me never saw the 401.",
  );
  await expect(dashboard.parallelResult).toContainText("200, 200, 200, 200, 200");
  // What the card says is what the network saw: five 401s, one refresh, five retries, and no
  // request to /api/notes (the order of the five among themselves is the network's).
  expect((await authNetwork.log()).sort()).toEqual(
    [
      ...Array<string>(5).fill("GET /api/me (token 2) → 401 token_expired"),
      "POST /api/auth/refresh → 200",
      ...Array<string>(5).fill("GET /api/me (token 3) → 200"),
    ].sort(),
  );
});

test("the minted token opens nothing, not even another expired token", async ({
  signedInPage: page,
}) => {
  const minted = page.waitForResponse(
    (r) => new URL(r.url()).pathname === "/api/auth/expired-access-token",
  );
  await page.getByRole("button", { name: "Expire my access token now" }).click();
  const { accessToken: expired } = (await (await minted).json()) as { accessToken: string };
  await expect(page.getByTestId("expire-now-status")).toContainText("expired access token");

  // As Bearer, with no proof: an expired token answers token_expired before any binding check
  // (lib/auth/authenticate.ts), so the wrapper's silent refresh still starts on it.
  const asBearer = { headers: { Authorization: `Bearer ${expired}` } };
  const me = await page.request.get("/api/me", asBearer);
  expect(me.status()).toBe(401);
  expect((await me.json()).error.code).toBe("token_expired");
  const again = await page.request.post("/api/auth/expired-access-token", asBearer);
  expect(again.status()).toBe(401);
  expect((await again.json()).error.code).toBe("token_expired");
});
