import "server-only";

/**
 * Who may read /api/metrics. Metrics are not secrets, but they tell an outsider how many people
 * sign in, how often sessions are revoked and when the database struggles; they are for the
 * operator's scraper only. Two modes:
 *
 * - **METRICS_TOKEN set**: every request must send `Authorization: Bearer <METRICS_TOKEN>`,
 *   from anywhere (loopback included); anything else answers 403 `metrics_forbidden`. This is the
 *   mode for any deployment where another machine scrapes.
 * - **No token: loopback only.** A route handler cannot see the TCP peer's address (Next does
 *   not expose the socket), so "loopback" is decided from what the server knows: it must listen
 *   on a loopback HOST, declare itself local (`isLocal`, lib/env.ts: no public APP_URL), and the
 *   request must carry no forwarding header (X-Forwarded-For, Forwarded, X-Real-IP), since a
 *   request that came through a proxy is somebody else's, whatever address it arrives from.
 *   Anything else answers 404 `not_found`, as if there were no such route.
 *
 * IMPORTANT: a reverse proxy on the same machine that forwards to a loopback instance without
 * adding X-Forwarded-For would make every outside request look local. Set METRICS_TOKEN behind
 * any proxy (docs/deployment.md, "Metrics"), or block /api/metrics at the proxy.
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

const FORWARDING_HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip"];

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
  const proxied = FORWARDING_HEADERS.some((name) => request.headers.has(name));
  if (proxied || !env.isLocal || !isLoopbackAddress(env.HOST)) throw new MetricsNotOffered();
}

/** Compares digests, so the time taken says nothing about how much of the token matched. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
