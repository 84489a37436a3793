/**
 * Device binding (lib/auth/dpop.ts, lib/client/device-key.ts): a copied refresh cookie is useless
 * without the browser's non-extractable session key.
 *
 * A thief copies the victim's cookies (`context.cookies()`, what an info-stealer lifts from a
 * cookie store) into a second browser context: no IndexedDB, no key. Its page restores the
 * session as any page does, and the refresh carries no proof: refused with
 * `dpop_proof_required`, the thief lands on the login page, and nothing changed on the server.
 * The victim keeps refreshing and working. A thief who signs with a key of its own is worse off
 * still: that proof with the right cookie is theft, and the session ends for both.
 */
import { randomUUID } from "node:crypto";
import { DashboardPage } from "./pages/dashboard-page";
import {
  createDeviceKey,
  expect,
  expectSignedOut,
  presentRefreshToken,
  readRefreshCookie,
  replayStolenSession,
  stealRefreshCookie,
  test,
} from "./fixtures";

test("a thief copies the cookie to another browser: refused, and the victim keeps working", async ({
  signedInPage: page,
  context,
  anotherDevice,
  authNetwork,
}) => {
  const victim = new DashboardPage(page);
  await victim.expectLoaded();
  const stolen = await stealRefreshCookie(context);

  const refused = anotherDevice.waitForEvent("response", {
    predicate: (r) => new URL(r.url()).pathname === "/api/auth/refresh",
  });
  const thief = await replayStolenSession(stolen, anotherDevice);
  const answer = await refused;
  expect(answer.status()).toBe(401);
  expect(answer.request().headers()["dpop"]).toBeUndefined();
  await expectSignedOut(thief, "dpop_proof_required");

  // The victim's browser still holds the cookie the thief copied, and its key: it refreshes.
  expect((await readRefreshCookie(context)).value).toBe(stolen.refreshToken);
  await page.reload();
  await victim.expectLoaded();
  // The worker's account keeps its notes from test to test (and repeat to repeat): this one
  // must be told apart.
  const note = `Still mine after the thief's try (${randomUUID()})`;
  await victim.addNote(note);
  await expect(victim.notes.filter({ hasText: note })).toHaveCount(1);
  const failed = (await authNetwork.summary()).failedRefreshes;
  expect(failed).toEqual([]);
  expect((await readRefreshCookie(context)).value).not.toBe(stolen.refreshToken);
});

test("a thief who signs with a key of its own ends the session for both", async ({
  signedInPage: page,
  context,
  api,
}) => {
  const victim = new DashboardPage(page);
  await victim.expectLoaded();
  const stolen = await stealRefreshCookie(context);

  expect(await presentRefreshToken(api, stolen.refreshToken, {}, createDeviceKey())).toBe(
    "401 dpop_key_mismatch",
  );

  await page.reload();
  await expectSignedOut(page, "dpop_key_mismatch");
});
