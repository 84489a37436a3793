import { ERROR_CODE } from "@/lib/contract";
import { defineRoute } from "@/lib/http/route";
import { errorResponse } from "@/lib/http/respond";
import { renderMetrics } from "@/lib/ops/metrics";
import { assertMetricsReadable } from "@/lib/ops/metrics-access";

/**
 * GET /api/metrics → this instance's Prometheus metrics (text exposition format). With
 * METRICS_TOKEN: `Authorization: Bearer <token>` or 403 `metrics_forbidden`; without: a loopback
 * server's unproxied requests only, else 404 (lib/ops/metrics-access.ts). 404 with
 * METRICS_ENABLED=0. Each instance answers for itself; Prometheus scrapes each one.
 */
export const GET = defineRoute({ auth: "none", testClock: false }, async ({ request }) => {
  assertMetricsReadable(request);
  const metrics = await renderMetrics();
  if (!metrics) return errorResponse(404, ERROR_CODE.notFound, "There is no such API route.");
  return new Response(metrics.text, {
    headers: { "Content-Type": metrics.contentType, "Cache-Control": "no-store" },
  });
});
