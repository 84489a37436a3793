import "server-only";

/**
 * Who may read /api/metrics. Metrics are not secrets, but they tell an outsider how many people
 * sign in, how often sessions are revoked and when the database struggles; they are for the
 * operator's scraper only. Two modes:
 *
 * - **METRICS_TOKEN set**: every request must send `Authorization: Bearer <METRICS_TOKEN>`,
 *   from anywhere (loopback included); anything else answers 403 `metrics_forbidden`. This is the
 *   mode for any deployment where another machine scrapes.
 * - **No token: loopback only.** The server must listen on a loopback HOST and be local
 *   (`isLocal`, lib/env.ts: no public APP_URL), so no other machine can connect to it directly,
 *   and the request must not have come through a proxy. A route handler cannot see the socket,
 *   but Next fills `X-Forwarded-For` with the socket's peer address when the client sent none
 *   (`??=` in next/dist/server/base-server.js); so the header must be absent (a handler called
 *   in-process) or exactly one loopback address, and `Forwarded` and `X-Real-IP` absent. A proxy
 *   that appends to X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`) names the outside
 *   client there, and is refused. Anything else answers 404 `not_found`, as if there were no
 *   such route.
 *
 * IMPORTANT: a reverse proxy on the same machine that forwards without setting X-Forwarded-For
 * makes every outside request look local (Next then writes the proxy's own loopback address).
 * Set METRICS_TOKEN behind any proxy (docs/deployment.md, "Events and metrics"), or refuse
 * /api/metrics at the proxy.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ERROR_CODE } from "@/lib/contract";
import { getEnv, isLoopbackAddress } from "@/lib/env";
import { defineAppError } from "@/lib/errors";

export class MetricsForbidden extends defineAppError(
  ERROR_CODE.metricsForbidden,
  403,
  "Send the metrics token as a Bearer token to read the metrics.",
) {}

export class MetricsNotOffered extends defineAppError(
  ERROR_CODE.notFound,
  404,
  "There is no such API route.",
) {}

/** Headers only a proxy adds (Next itself adds X-Forwarded-For, handled below). */
const PROXY_HEADERS = ["forwarded", "x-real-ip"];

/**
 * Throws unless this request may read the metrics (see the module comment for the two modes).
 *
 * @example
 * assertMetricsReadable(request); // then render the registry
 */
export function assertMetricsReadable(request: Request): void {
  const env = getEnv();
  if (env.METRICS_ENABLED === "0") throw new MetricsNotOffered();
  if (env.METRICS_TOKEN) {
    const presented = /^Bearer ([^\s]+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    if (!presented || !sameSecret(presented, env.METRICS_TOKEN)) throw new MetricsForbidden();
    return;
  }
  const forwardedFor = request.headers.get("x-forwarded-for");
  const proxied =
    PROXY_HEADERS.some((name) => request.headers.has(name)) ||
    (forwardedFor !== null && !isLoopbackPeer(forwardedFor.trim()));
  if (proxied || !env.isLocal || !isLoopbackAddress(env.HOST)) throw new MetricsNotOffered();
}

/** One loopback address as Node reports a peer: 127.x.x.x, ::1, or ::ffff:127.x.x.x. */
function isLoopbackPeer(address: string): boolean {
  return /^(::ffff:)?127(\.\d{1,3}){3}$/i.test(address) || address === "::1";
}

/** Compares digests, so the time taken says nothing about how much of the token matched. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
