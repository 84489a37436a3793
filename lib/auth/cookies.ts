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
 * - Max-Age: until the session's absolute expiry, never longer.
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
import { getEnv } from "@/lib/env";

export const REFRESH_COOKIE_PATH = "/api/auth";

const LOOPBACK_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Whether the browser that sent this request will store a Secure cookie from us. */
export function acceptsSecureCookies(request: Request): boolean {
  const env = getEnv();
  if (env.appUrl.startsWith("https:")) return true;
  const url = new URL(request.url);
  if (url.protocol === "https:") return true;
  if (env.TRUST_PROXY === "1" && request.headers.get("x-forwarded-proto") === "https") return true;
  const hostname = (request.headers.get("host") ?? url.host).replace(/:\d+$/, "");
  return LOOPBACK_HOSTNAMES.has(hostname);
}

function parseCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/** The raw refresh token the browser sent, if any. */
export function readRefreshCookie(request: Request): string | undefined {
  const cookies = parseCookies(request.headers.get("cookie"));
  return (
    cookies.get(SECURE_REFRESH_COOKIE_NAME) || cookies.get(PLAIN_REFRESH_COOKIE_NAME) || undefined
  );
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
