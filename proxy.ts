/**
 * Redirects only: a visitor without the session hint cookie who asks for a
 * page that needs a user goes to /login, with where they were going kept in
 * `next`. No data access here, and no trust either: the hint is a convenience
 * (see lib/auth/cookies.ts), and every page still checks its session through
 * the refresh call.
 */
import { type NextRequest, NextResponse } from "next/server";
import { SESSION_HINT_COOKIE_NAME } from "@/lib/auth/cookie-names";

export function proxy(request: NextRequest) {
  if (request.cookies.has(SESSION_HINT_COOKIE_NAME)) return NextResponse.next();
  const login = new URL("/login", request.url);
  login.searchParams.set("next", `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.redirect(login);
}

export const config = {
  matcher: ["/dashboard/:path*", "/sessions/:path*", "/inspector/:path*"],
};
