/**
 * Runs before every page, and before any route handler of a request over the cookie cap (not
 * static files). Three jobs, none of them touching data:
 *
 * 0. The cookie cap (lib/http/cookie-cap.ts): a request with more than MAX_REQUEST_COOKIES
 *    cookies answers 431 `too_many_cookies` here, because Next's route-handler finalisation costs
 *    CPU quadratic in the cookie count and no route handler can avoid it.
 * 1. A per-request Content-Security-Policy nonce. Next.js reads the nonce from
 *    the request's CSP header and puts it on its own scripts; with
 *    'strict-dynamic', only scripts carrying it (and what they load) run, so
 *    an injected <script> does not. Nonces make every page dynamically
 *    rendered (app/layout.tsx opts in explicitly).
 * 2. Redirects: a visitor without the session hint cookie who asks for a page
 *    that needs a user goes to /login, with where they were going kept in
 *    `next`. The hint is a convenience (lib/auth/cookies.ts); every page still
 *    checks its session through the refresh call.
 */
import { type NextRequest, NextResponse } from "next/server";
import { SESSION_HINT_COOKIE_NAME } from "@/lib/auth/cookie-names";
import { refuseCookieFlood } from "@/lib/http/cookie-cap";

const PROTECTED_PATH_PREFIXES = ["/dashboard", "/sessions", "/inspector", "/account"];

function isApiPath(pathname: string): boolean {
  return pathname === "/api" || pathname.startsWith("/api/");
}

function isProtectedPath(pathname: string): boolean {
  return PROTECTED_PATH_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/** The page CSP for one nonce. Development also needs 'unsafe-eval' (React's dev tooling). */
export function buildContentSecurityPolicy(nonce: string, isDevelopment: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${isDevelopment ? " 'unsafe-eval'" : ""}`,
    // Inline style attributes (React's style prop) need this; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function proxy(request: NextRequest) {
  const refusal = refuseCookieFlood(request.headers.get("cookie"));
  if (refusal) return refusal;
  // An API path reaches the proxy only through the cookie matcher below: nothing more to do.
  if (isApiPath(request.nextUrl.pathname)) return NextResponse.next();
  if (isProtectedPath(request.nextUrl.pathname) && !request.cookies.has(SESSION_HINT_COOKIE_NAME)) {
    const login = new URL("/login", request.url);
    login.searchParams.set("next", `${request.nextUrl.pathname}${request.nextUrl.search}`);
    return NextResponse.redirect(login);
  }

  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const policy = buildContentSecurityPolicy(nonce, process.env.NODE_ENV === "development");
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

export const config = {
  // Every page, prefetches included. IMPORTANT: no `missing` condition for prefetch headers
  // (`next-router-prefetch`, `purpose: prefetch`): a request that skips this proxy gets neither
  // the CSP nor the signed-out redirect, and any client can send those headers on a full page
  // load. Only what never answers HTML is excluded, up to a path-segment boundary (so `/apidocs`
  // is a page like any other): API routes answer JSON and set their own headers (next.config.js;
  // `/api` itself and unknown `/api/*` paths answer 404 JSON, app/api/[[...path]]/route.ts), and
  // `_next/static` and `_next/image` answer files or plain text. A missing `/favicon.ico` or
  // `/.well-known/…` renders the HTML not-found page, so those go through the proxy too.
  //
  // The second entry runs the proxy for an API path only when its Cookie header holds at least
  // MAX_REQUEST_COOKIES semicolons, that is more than MAX_REQUEST_COOKIES cookies: the cookie
  // cap's refusal. IMPORTANT: the number is spelled here because Next reads this object at build
  // time (no constants); lib/http/cookie-cap.test.ts keeps it equal to MAX_REQUEST_COOKIES.
  // Running the proxy for every API request instead would cost each one the proxy's pass, and
  // Next buffers a request's whole body (up to 10 MB) for a Node proxy before the route handler
  // sees it, which would undo the route handlers' own 16 KB body cap.
  matcher: [
    "/((?!(?:api|_next/static|_next/image)(?:/|$)).*)",
    {
      source: "/api/:path*",
      has: [{ type: "header", key: "cookie", value: "(?:[^;]*;){180}.*" }],
    },
  ],
};
