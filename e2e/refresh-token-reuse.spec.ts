/**
 * Reuse detection: a copied refresh token that comes back ends the whole session.
 *
 * A thief copies the victim's refresh cookie into another browser, and the session's device key
 * with it: what malware running inside the victim's browser can do, the one case device binding
 * cannot stop (a thief with the cookie alone is refused outright: device-binding.spec.ts). The
 * victim keeps using the app, so the copied token gets rotated away and becomes an ancestor of the
 * current one. When the thief presents it, the server cannot tell who is who, so it revokes the
 * session family for both.
 * Proves that the thief gets nothing, that the victim's tab lands on the login page at its next
 * refresh with the reason (refresh_token_reused) and a sentence saying the session was used
 * elsewhere, and that even the victim's newest refresh token is dead.
 */
import { DashboardPage } from "./pages/dashboard-page";
import {
  expect,
  expectSignedOut,
  plantDeviceKey,
  presentRefreshToken,
  readRefreshCookie,
  replayStolenSession,
  stealRefreshCookie,
  test,
} from "./fixtures";

test("replaying an old refresh cookie from another browser signs out the thief and the victim", async ({
  signedInPage: page,
  context,
  anotherDevice,
  time,
  api,
  baseURL,
  sessionDevice,
}) => {
  const victim = new DashboardPage(page);
  await victim.expectLoaded();
  const stolen = await stealRefreshCookie(context);

  // Two reloads, two rotations: the stolen token is now two generations old. (The head's parent
  // is forgiven until the head is first presented, for a response lost on the network.)
  for (let reload = 0; reload < 2; reload++) {
    await page.reload();
    await victim.expectLoaded();
  }
  const victimsNewestToken = (await readRefreshCookie(context)).value;
  expect(victimsNewestToken).not.toBe(stolen.refreshToken);

  await plantDeviceKey(anotherDevice, baseURL!, sessionDevice);
  const thief = await replayStolenSession(stolen, anotherDevice);

  await expectSignedOut(thief, "refresh_token_reused");
  await expect(thief).toHaveURL("/login?reason=refresh_token_reused&next=%2Fdashboard");

  // The victim's next refresh, five minutes on: its proactive timer comes due and is refused.
  await time.advance("5m");

  await expectSignedOut(page, "refresh_token_reused");
  // (The reason in the URL is the code the server refused the refresh with; the network log
  // cannot show it here, because the page navigated away before its body could be read.)
  expect(await presentRefreshToken(api, victimsNewestToken, time.headers())).toBe(
    "401 refresh_token_reused",
  );
});
