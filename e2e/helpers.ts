/**
 * Helpers for this app's token tests (steal, replay, present a refresh token, a second tab, a
 * signed-out page). Each is a plain function over Playwright objects and e2e/adapter.ts, so it
 * works with or without the kit's fixtures.
 */
import {
  type APIRequestContext,
  type BrowserContext,
  type Cookie,
  type Page,
  expect,
} from "@playwright/test";
import {
  REFRESH_COOKIE_NAME,
  SESSION_HINT_COOKIE_NAME,
  SIGNED_IN_PATH,
  SIGN_OUT_REASON_TEST_ID,
  type SignOutReason,
  describeResponse,
  type DeviceKey,
  createDeviceKey,
  refreshSession,
  signedOutPage,
} from "./adapter";

/** The refresh cookie of a context, as the browser stores it (page scripts cannot see it). */
export async function readRefreshCookie(context: BrowserContext): Promise<Cookie> {
  const cookie = (await context.cookies()).find((c) => c.name === REFRESH_COOKIE_NAME);
  if (!cookie) throw new Error(`The context holds no ${REFRESH_COOKIE_NAME} cookie.`);
  return cookie;
}

/** What a thief takes: the session's cookies as they are now (the refresh cookie, and the hint). */
export interface StolenSession {
  refreshToken: string;
  cookies: Cookie[];
}

/**
 * Copies `victim`'s session cookies, as malware or a shared computer would. The copy stays as it
 * is while the victim's browser goes on rotating its own token.
 */
export async function stealRefreshCookie(victim: BrowserContext): Promise<StolenSession> {
  const refresh = await readRefreshCookie(victim);
  const hint = (await victim.cookies()).filter((c) => c.name === SESSION_HINT_COOKIE_NAME);
  return { refreshToken: refresh.value, cookies: [refresh, ...hint] };
}

/**
 * Replays a stolen session in another browser (`thief`, a context with its own cookie jar): puts
 * the cookies in its jar and opens `path` there, so the app restores the session with the stolen
 * refresh token. Returns the thief's page; where it lands is the test's to assert.
 */
export async function replayStolenSession(
  stolen: StolenSession,
  thief: BrowserContext,
  path = SIGNED_IN_PATH,
): Promise<Page> {
  await thief.addCookies(stolen.cookies);
  const page = await thief.newPage();
  await page.goto(path);
  return page;
}

/**
 * Presents a refresh token to the server from outside any browser, as a thief with a copy of the
 * cookie would, and returns the answer as `"<status> <code>"` (e.g. `"401 session_revoked"`).
 * Pass `time.headers()` to present it at the test's moved time.
 *
 * The refresh carries a DPoP proof by `device`: by default a key of its own, as a thief on
 * another device would sign. That tells a dead session (its reason: revocation is checked
 * first) and, for a live bound session, counts as theft (`401 dpop_key_mismatch`, the session
 * ends). Pass the session's own key (the `sessionDevice` fixture) to present it as its browser.
 */
export async function presentRefreshToken(
  api: APIRequestContext,
  refreshToken: string,
  headers: Record<string, string> = {},
  device: DeviceKey = createDeviceKey(),
): Promise<string> {
  return describeResponse(await refreshSession(api, { cookie: refreshToken, headers, device }));
}

/**
 * Opens another tab of the same browser (same cookie jar, separate page memory) at `path`, and
 * waits until it has loaded. The tab restores its session on its own, as a user's second tab would.
 */
export async function openSecondTab(context: BrowserContext, path = SIGNED_IN_PATH): Promise<Page> {
  const tab = await context.newPage();
  await tab.goto(path);
  return tab;
}

/**
 * Asserts that `page` was signed out for `reason`: it is on the login page with that reason, the
 * page says so in words, and the browser holds no refresh cookie any more.
 *
 * @example
 * await expectSignedOut(victimPage, "refresh_token_reused");
 */
export async function expectSignedOut(page: Page, reason: SignOutReason): Promise<void> {
  const { url, message } = signedOutPage(reason);
  await expect(page).toHaveURL(url);
  await expect(page.getByTestId(SIGN_OUT_REASON_TEST_ID)).toHaveText(message);
  await expect
    .poll(
      async () => (await page.context().cookies()).some((c) => c.name === REFRESH_COOKIE_NAME),
      { message: "the refresh cookie should be gone" },
    )
    .toBe(false);
}
