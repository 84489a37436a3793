/**
 * A planted refresh cookie must not keep a user signed in (issue 24).
 *
 * A sibling subdomain (`Domain=` the parent) or a cookie-tossing page can add a second refresh
 * cookie beside ours, and the browser sends both. The planted one here is a real session of the
 * attacker's, put in the victim's jar with `context.addCookies` at a path of its own: a longer
 * path is sent before ours, a shorter one after, so the two tests cover both orders. The victim
 * presses "Log out": every tab signs out as usual, and the victim's real refresh token is dead on
 * the server, whichever cookie came first; and so is the planted one, which our Set-Cookie cannot
 * remove and which would otherwise sign this browser into the attacker's account at its next
 * refresh.
 */
import type { BrowserContext } from "@playwright/test";
import {
  REFRESH_COOKIE_NAME,
  expect,
  openSecondTab,
  presentRefreshToken,
  readRefreshCookie,
  test,
} from "./fixtures";
import { registerAccount, signedOutPage, uniqueCredentials } from "./adapter";
import { DashboardPage } from "./pages/dashboard-page";

/** Where this app keeps its refresh cookie (lib/auth/cookies.ts). */
const REFRESH_COOKIE_PATH = "/api/auth";

/** The refresh cookies in the jar other than the one at our path (what a planter left). */
async function refreshCookiesByPath(context: BrowserContext): Promise<string[]> {
  return (await context.cookies())
    .filter((c) => c.name === REFRESH_COOKIE_NAME)
    .map((c) => c.path)
    .sort();
}

const ORDERS = [
  { order: "the attacker's cookie first", plantedPath: "/api/auth/logout" },
  { order: "the attacker's cookie last", plantedPath: "/api" },
];

for (const { order, plantedPath } of ORDERS) {
  test(`logout with a planted refresh cookie (${order}) signs out every tab and ends the real session`, async ({
    signedInPage,
    context,
    api,
    authNetwork,
    playwright,
    baseURL,
  }) => {
    const tabA = new DashboardPage(signedInPage);
    await tabA.expectLoaded();
    const tabB = new DashboardPage(await openSecondTab(context));
    await tabB.expectLoaded();
    const victimToken = (await readRefreshCookie(context)).value;

    // The attacker's own session, signed up elsewhere; its refresh token goes into the victim's jar.
    const attacker = await playwright.request.newContext({ baseURL });
    await registerAccount(attacker, uniqueCredentials("planter"));
    const attackerCookie = (await attacker.storageState()).cookies.find(
      (c) => c.name === REFRESH_COOKIE_NAME,
    );
    await attacker.dispose();
    expect(attackerCookie).toBeDefined();
    const attackerToken = attackerCookie!.value;
    await context.addCookies([
      {
        name: REFRESH_COOKIE_NAME,
        value: attackerToken,
        domain: new URL(signedInPage.url()).hostname,
        path: plantedPath,
        secure: true,
        httpOnly: true,
        sameSite: "Strict",
      },
    ]);
    authNetwork.clear();

    await tabA.header.logOut();

    const loggedOut = signedOutPage("logged_out");
    await expect(tabA.page).toHaveURL(loggedOut.url);
    await expect(tabA.page.getByTestId("sign-out-reason")).toHaveText(loggedOut.message);
    await expect(tabB.page).toHaveURL(signedOutPage("logged_out_elsewhere").url);
    // The logout carried both values, in the order this test set out to check, and answered 204
    // (before this fix: 400 refresh_cookie_ambiguous, and the session lived on).
    const logout = (await authNetwork.exchanges()).find((e) => e.path === "/api/auth/logout");
    expect(logout?.status).toBe(204);
    expect(logout?.refreshToken).toBe(
      plantedPath.length > REFRESH_COOKIE_PATH.length ? attackerToken : victimToken,
    );
    // The server ended the victim's session: the real refresh token is refused.
    expect(await presentRefreshToken(api, victimToken)).toBe("401 session_revoked");
    // The planter's session ended too. It must: the planted cookie is still in the jar (our
    // Set-Cookie cannot remove a cookie at another path or domain), and this browser's next
    // refresh, with only that cookie left, would otherwise sign the victim into the attacker's
    // account (seen here before: the other tab's login page restored the attacker's session).
    expect(await presentRefreshToken(api, attackerToken)).toBe("401 session_revoked");
    const nextRefresh = await context.request.post("/api/auth/refresh");
    expect(nextRefresh.status()).toBe(401);
    expect(await tabB.page.getByText("Signed in as").count()).toBe(0);
    // Our cookie is gone; only the planted one, at a path the app never uses, is left.
    expect(await refreshCookiesByPath(context)).toEqual([plantedPath]);
    await tabB.goto();
    await expect(tabB.page).toHaveURL("/login?next=%2Fdashboard");
  });
}
