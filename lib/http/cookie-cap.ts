/**
 * The cookie cap: a request that carries more than MAX_REQUEST_COOKIES cookies is refused with
 * 431 `too_many_cookies` by proxy.ts, before any route handler runs.
 *
 * Why a cap at all: Next 16's response finalisation for route handlers copies the request's
 * cookies into a response-cookie list one at a time, re-serialising the list on each copy, so its
 * CPU cost grows with the square of the cookie count. Measured on the production build
 * (`npm run bench`, the cookie curve; docs/benchmark.md): 0 cookies 1.9 ms of CPU per request,
 * 100 cookies 4.7 ms, 180 cookies 9.6 ms, 500 cookies 61 ms, 1,000 cookies 233 ms, and 1,800
 * tiny cookies (`c0=1; c1=1; …`, 15 KB, under Node's 16 KB header limit) 800 ms, on every route
 * handler, for anyone, without an account. A few such connections stall every user.
 *
 * Why 180: it is the most cookies Chromium and Firefox keep for one site (their per-domain
 * store), so no mainstream browser ever sends more to us, however many cookies its other tabs and
 * sibling subdomains set; and a request at the cap costs about 5× an empty one (less than one
 * login's password hash), where the flood cost 400×. An ordinary browser's load (tens of cookies,
 * 100 or more on a busy site) is served.
 *
 * Imports nothing but the contract's codes: proxy.ts bundles it.
 */
import { ERROR_CODE } from "@/lib/contract/error-codes";

/**
 * Most cookies one request may carry (IMPORTANT: proxy.ts's matcher spells the same number in a
 * regular expression, because Next reads the matcher at build time; a test keeps them equal).
 */
export const MAX_REQUEST_COOKIES = 180;

/**
 * The number of cookies in a Cookie header: its `;`-separated parts. A value cannot contain `;`
 * (RFC 6265 cookie-octet), so this counts what any parser would, or more when a client sends
 * empty parts, which only refuses that client sooner.
 *
 * @example
 * countCookies("a=1; b=2"); // 2
 */
export function countCookies(header: string | null): number {
  if (!header) return 0;
  let count = 1;
  for (let i = header.indexOf(";"); i !== -1; i = header.indexOf(";", i + 1)) count++;
  return count;
}

/**
 * The 431 answer for a request over the cap, or null when it is within it.
 *
 * @example
 * const refusal = refuseCookieFlood(request.headers.get("cookie"));
 * if (refusal) return refusal;
 */
export function refuseCookieFlood(header: string | null): Response | null {
  if (countCookies(header) <= MAX_REQUEST_COOKIES) return null;
  const body = {
    error: {
      code: ERROR_CODE.tooManyCookies,
      message: `This request carries more than ${MAX_REQUEST_COOKIES} cookies, more than a browser keeps for one site. Clear this site's cookies, then try again.`,
    },
  };
  return new Response(JSON.stringify(body), {
    status: 431,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
    },
  });
}
