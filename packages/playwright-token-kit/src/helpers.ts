/**
 * Helpers for the common token tests. Each one is a plain function over Playwright objects and
 * the adapter, so it works with or without the kit's fixtures.
 */
import type { APIRequestContext, BrowserContext, Cookie, Page } from "@playwright/test";
import { type TokenKitAdapter, defaultErrorCode } from "./adapter.js";
import { refreshSession } from "./worker-session.js";

/** The refresh cookie of a context, as the browser stores it (page scripts cannot see it). */
export async function readRefreshCookie(
  adapter: TokenKitAdapter,
  context: BrowserContext,
): Promise<Cookie> {
  const name = adapter.refresh.cookie;
  const cookie = (await context.cookies()).find((c) => c.name === name);
  if (!cookie) throw new Error(`The context holds no ${name} cookie.`);
  return cookie;
}

/**
 * Presents a refresh token from outside any browser, as a thief with a copy of the cookie would,
 * and returns the answer as `"200"` or `"<status> <code>"` (e.g. `"401 refresh_token_reused"`).
 */
export async function presentRefreshToken(
  adapter: TokenKitAdapter,
  api: APIRequestContext,
  refreshToken: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await refreshSession(adapter, api, { cookie: refreshToken, headers });
  if (response.ok()) return String(response.status());
  const body: unknown = await response.json().catch(() => null);
  const code = (adapter.errorCode ?? defaultErrorCode)(body);
  return `${response.status()} ${code ?? "without a code"}`;
}

/**
 * Opens another tab of the same browser (same cookie jar, separate page memory) at `path`. The tab
 * restores its session on its own, as a user's second tab would.
 */
export async function openSecondTab(
  adapter: TokenKitAdapter,
  context: BrowserContext,
  path = adapter.signedInPage.path,
): Promise<Page> {
  const tab = await context.newPage();
  await tab.goto(path);
  return tab;
}
