import "server-only";

/**
 * The refresh-token cookie.
 *
 * - HttpOnly: page scripts (and so XSS) can never read it.
 * - SameSite=Strict: never sent on a request that another site starts.
 * - Path=/api/auth: sent only to the auth routes, not with every page or API call.
 * - Secure wherever the browser accepts it: always over https, and on
 *   loopback hosts, which browsers treat as secure even over plain http. Then
 *   the name carries the `__Secure-` prefix, which browsers refuse to set
 *   without Secure. Plain http to any other host (a LAN address in
 *   development) gets a non-Secure cookie, or the browser would drop it.
 *   IMPORTANT: with APP_URL set, APP_URL's scheme and host alone decide, never
 *   the request: in `next start` a request's URL takes its scheme from the
 *   client's own X-Forwarded-Proto header and its host from Host, so reading
 *   them would let any client choose our cookie's name and attributes. Without
 *   APP_URL (development) the Host the browser reached decides, and
 *   X-Forwarded-Proto counts only with TRUST_PROXY=1.
 * - Max-Age: until the session's absolute expiry, never longer.
 *
 * Which cookie counts (`readRefreshCookie`). Cookies carry no origin: a sibling subdomain
 * (`Domain=` the parent), or anyone who can answer a plain-http request for our host, can plant a
 * `refresh_token` the browser then sends to us, and a planted cookie with a longer Path is sent
 * first. So on an origin that uses the `__Secure-` name, the unprefixed name never counts (plain
 * http cannot set a `__Secure-` cookie), and a refresh that carries two refresh-cookie values
 * (two of one name, or both names) is refused with 400 RefreshCookieAmbiguous and changes
 * nothing: guessing which one is ours would let a planted cookie sign the victim into the
 * attacker's account. Logout never guesses and never refuses: it takes every value
 * (`readRefreshCookieValues`), ends the sessions they name (lib/auth/sessions.ts,
 * `revokeSessionsByRefreshTokens`) and clears the cookie, so a planted value cannot keep the
 * victim signed in.
 * SECURITY.md says why the prefix is `__Secure-` and not `__Host-` (that one requires Path=/).
 *
 * Because of that Path, page requests never carry the refresh cookie, so a
 * second cookie, SESSION_HINT_COOKIE_NAME (value "1", no secret in it), travels
 * with page requests and lets proxy.ts send signed-out visitors to /login
 * before any page renders. It proves nothing; the pages still check.
 */
import type { NextResponse } from "next/server";
import { currentTime } from "@/lib/auth/clock";
import {
  PLAIN_REFRESH_COOKIE_NAME,
  SECURE_REFRESH_COOKIE_NAME,
  SESSION_HINT_COOKIE_NAME,
} from "@/lib/auth/cookie-names";
import { ERROR_CODE } from "@/lib/contract";
import { getEnv } from "@/lib/env";
import { defineAppError } from "@/lib/errors";

/** Two refresh-cookie values in one request: one of them was planted, and we cannot tell which. */
export class RefreshCookieAmbiguous extends defineAppError(
  ERROR_CODE.refreshCookieAmbiguous,
  400,
  "This browser sent two refresh cookies, so neither is trusted. Clear this site's cookies, then sign in again.",
) {}

export const REFRESH_COOKIE_PATH = "/api/auth";

const LOOPBACK_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Whether the browser that sent this request will store a Secure cookie from us. */
export function acceptsSecureCookies(request: Request): boolean {
  const env = getEnv();
  const appUrl = new URL(env.appUrl);
  if (appUrl.protocol === "https:") return true;
  if (env.APP_URL) return LOOPBACK_HOSTNAMES.has(appUrl.hostname);
  if (env.TRUST_PROXY === "1" && request.headers.get("x-forwarded-proto") === "https") return true;
  const hostname = (request.headers.get("host") ?? new URL(request.url).host).replace(/:\d+$/, "");
  return LOOPBACK_HOSTNAMES.has(hostname);
}

/**
 * Every value of each cookie name, in header order.
 *
 * IMPORTANT: this is the app's one hand-written cookie parser, and it stays on purpose. Next's
 * `NextRequest.cookies` (used everywhere else: proxy.ts, the root layout through `cookies()`)
 * keeps only the last value of a name, `getAll(name)` included (lib/auth/cookies.test.ts pins
 * that), so a planted second refresh cookie would silently win or lose. Two values of the refresh
 * cookie is exactly what `readRefreshCookie` must see to answer `refresh_cookie_ambiguous`
 * (lib/auth/device-cookie.ts reads its cookies with it too).
 */
export function parseCookieValues(header: string | null): Map<string, string[]> {
  const cookies = new Map<string, string[]>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    const values = cookies.get(name) ?? [];
    values.push(part.slice(eq + 1).trim());
    cookies.set(name, values);
  }
  return cookies;
}

/**
 * The raw refresh token the browser sent, if any. On an origin where we set the `__Secure-`
 * name only that name counts; elsewhere only the plain one.
 * Throws RefreshCookieAmbiguous (400) when the request carries two refresh-cookie values.
 *
 * @example
 * const token = readRefreshCookie(request); // undefined when none was sent
 */
export function readRefreshCookie(request: Request): string | undefined {
  const cookies = parseCookieValues(request.headers.get("cookie"));
  const secureValues = cookies.get(SECURE_REFRESH_COOKIE_NAME) ?? [];
  const plainValues = cookies.get(PLAIN_REFRESH_COOKIE_NAME) ?? [];
  if (acceptsSecureCookies(request)) {
    if (secureValues.length + plainValues.length > 1) throw new RefreshCookieAmbiguous();
    return secureValues[0] || undefined;
  }
  // Over plain http to a non-loopback host the browser never sends a Secure cookie.
  if (plainValues.length > 1) throw new RefreshCookieAmbiguous();
  return plainValues[0] || undefined;
}

/**
 * Every distinct refresh-cookie value the request carries: on an origin where we set the
 * `__Secure-` name both names (the unprefixed one there can only have been planted), elsewhere
 * the plain one. Never throws: for logout, which must work whatever was planted beside
 * the real cookie. Empty and malformed values are left to the caller (a lookup ignores them).
 *
 * @example
 * const tokens = readRefreshCookieValues(request); // [] when none was sent
 */
export function readRefreshCookieValues(request: Request): string[] {
  const cookies = parseCookieValues(request.headers.get("cookie"));
  const names = acceptsSecureCookies(request)
    ? [SECURE_REFRESH_COOKIE_NAME, PLAIN_REFRESH_COOKIE_NAME]
    : [PLAIN_REFRESH_COOKIE_NAME];
  const values = names.flatMap((name) => cookies.get(name) ?? []).filter((value) => value !== "");
  return [...new Set(values)];
}

/**
 * Puts a refresh token in the response's cookie.
 *
 * @example
 * setRefreshCookie(response, request, refreshToken, session.absoluteExpiresAt);
 */
export function setRefreshCookie(
  response: NextResponse,
  request: Request,
  refreshToken: string,
  sessionAbsoluteExpiresAt: Date,
): void {
  const secure = acceptsSecureCookies(request);
  const maxAge = Math.max(
    0,
    Math.floor((sessionAbsoluteExpiresAt.getTime() - currentTime().getTime()) / 1000),
  );
  response.cookies.set({
    name: secure ? SECURE_REFRESH_COOKIE_NAME : PLAIN_REFRESH_COOKIE_NAME,
    value: refreshToken,
    httpOnly: true,
    secure,
    sameSite: "strict",
    path: REFRESH_COOKIE_PATH,
    maxAge,
  });
  response.cookies.set({
    name: SESSION_HINT_COOKIE_NAME,
    value: "1",
    httpOnly: true,
    secure,
    sameSite: "lax",
    path: "/",
    maxAge,
  });
}

/** Deletes the refresh cookie (both spellings, so none is left behind) and the hint. */
export function clearRefreshCookie(response: NextResponse, request: Request): void {
  const secure = acceptsSecureCookies(request);
  response.cookies.set({
    name: SESSION_HINT_COOKIE_NAME,
    value: "",
    httpOnly: true,
    secure,
    sameSite: "lax",
    path: "/",
    maxAge: 0,
  });
  for (const name of [SECURE_REFRESH_COOKIE_NAME, PLAIN_REFRESH_COOKIE_NAME]) {
    const isSecureName = name === SECURE_REFRESH_COOKIE_NAME;
    if (isSecureName && !secure) continue;
    response.cookies.set({
      name,
      value: "",
      httpOnly: true,
      secure: isSecureName || secure,
      sameSite: "strict",
      path: REFRESH_COOKIE_PATH,
      maxAge: 0,
    });
  }
}
