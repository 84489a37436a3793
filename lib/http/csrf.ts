import "server-only";

import { ERROR_CODE } from "@/lib/contract";
import { getEnv } from "@/lib/env";
import { defineAppError } from "@/lib/errors";

/** A state-changing request that a page on another site started. */
export class CrossSiteRequest extends defineAppError(
  ERROR_CODE.crossSiteRequest,
  403,
  "This request came from another site and was refused.",
) {}

const STATE_CHANGING_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * CSRF defence for every state-changing route, on top of SameSite=Strict
 * cookies and JSON-only bodies: browsers label each request with where it
 * came from, and we refuse what another site started.
 *
 * - `Sec-Fetch-Site` (all current browsers): only `same-origin`, or `none`
 *   (typed in the address bar) pass. `same-site` is refused too: a sibling
 *   subdomain is not us.
 * - `Origin` (sent on every cross-origin POST, and by older browsers): must be
 *   our own origin. The literal `null` (sandboxed frames, some redirects) is
 *   refused. "Our own origin" is APP_URL's when APP_URL is set, and nothing
 *   else: IMPORTANT, never the request's Host. A page on evil.example whose
 *   name resolves to us (DNS rebinding, or a plain client) sends
 *   `Host: evil.example` and `Origin: http://evil.example` together, and
 *   comparing the two would pass it. Only without APP_URL outside production
 *   (development, where the browser may reach a LAN address) does the Host the
 *   request names count,
 *   over http, or https when a trusted proxy says so (a client's own
 *   X-Forwarded-Proto counts only with TRUST_PROXY=1).
 * Requests with neither header come from non-browser clients (curl, servers),
 * which cannot carry a victim's cookies, so they pass.
 *
 * @example
 * assertSameOriginRequest(request); // throws CrossSiteRequest (403)
 */
export function assertSameOriginRequest(request: Request): void {
  if (!STATE_CHANGING_METHODS.has(request.method)) return;
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite !== null && fetchSite !== "same-origin" && fetchSite !== "none") {
    throw new CrossSiteRequest();
  }
  const origin = request.headers.get("origin");
  if (origin === null) return;
  if (!allowedOrigins(request).has(origin)) throw new CrossSiteRequest();
}

function allowedOrigins(request: Request): Set<string> {
  const env = getEnv();
  const origins = new Set([new URL(env.appUrl).origin]);
  // Production without APP_URL (a generated key is refused there, AUTH_SIGNING_KEYS is set)
  // knows no public name either: the Host a request names proves nothing there.
  if (env.APP_URL || env.NODE_ENV === "production") return origins;
  const host = request.headers.get("host");
  if (host) {
    const forwarded = request.headers.get("x-forwarded-proto");
    const https = env.TRUST_PROXY === "1" && forwarded === "https";
    origins.add(`${https ? "https:" : "http:"}//${host}`);
  }
  return origins;
}
