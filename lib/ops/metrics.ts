import "server-only";

/**
 * Prometheus metrics of this process (prom-client). Each instance keeps its own registry and
 * answers for itself at /api/metrics; Prometheus scrapes every instance and adds them up (its
 * usual model: counters per process, summed with `sum by (…)` in the query). Nothing here is
 * shared between instances or stored.
 *
 * What is measured (the table an operator reads is in docs/deployment.md, "Metrics"):
 * - `auth_events_total{event, outcome}`: every event of lib/ops/events.ts, counted;
 * - `http_request_duration_seconds{route, method, status}`: each API route handler's time, from
 *   the first line of `defineRoute` to the response (its `_count` is the request rate, by status:
 *   the 503 rate is `status="503"`);
 * - `auth_prune_deleted_rows_total{table}`: rows the retention prune removed;
 * - Node's own (`process_cpu_seconds_total`, heap, event-loop lag), from prom-client's defaults.
 *
 * With METRICS_ENABLED=0 nothing is created and every call here returns at once.
 *
 * Labels are bounded by construction: `route` is the route's file pattern
 * (`/api/auth/sessions/[id]`, never the id), `event` and `outcome` come from the closed lists of
 * lib/ops/events.ts, `status` is an HTTP status. No label ever carries user input.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { getEnv } from "@/lib/env";

type OpsMetrics = {
  registry: Registry;
  events: Counter<"event" | "outcome">;
  routeDuration: Histogram<"route" | "method" | "status">;
  pruneDeleted: Counter<"table">;
};

/** Seconds: from a cached-token read (~1 ms) to a login's hash on a busy machine (seconds). */
const DURATION_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

// IMPORTANT: on globalThis, not in module scope. Next bundles route handlers separately, and a
// second copy of this module would make a second registry whose counts /api/metrics never shows.
const globalForMetrics = globalThis as typeof globalThis & { __opsMetrics?: OpsMetrics | null };

/** This process's metrics, or null when METRICS_ENABLED=0. */
export function getMetrics(): OpsMetrics | null {
  if (globalForMetrics.__opsMetrics !== undefined) return globalForMetrics.__opsMetrics;
  if (getEnv().METRICS_ENABLED === "0") return (globalForMetrics.__opsMetrics = null);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  globalForMetrics.__opsMetrics = {
    registry,
    events: new Counter({
      name: "auth_events_total",
      help: "Auth events by kind and outcome (sign-ins, refreshes, reuse detections, revocations, throttle refusals, prunes).",
      labelNames: ["event", "outcome"],
      registers: [registry],
    }),
    routeDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "API route handler time from the request's arrival in the handler to its response, by route, method and status.",
      labelNames: ["route", "method", "status"],
      buckets: DURATION_BUCKETS_SECONDS,
      registers: [registry],
    }),
    pruneDeleted: new Counter({
      name: "auth_prune_deleted_rows_total",
      help: "Rows the retention prune deleted, by table.",
      labelNames: ["table"],
      registers: [registry],
    }),
  };
  return globalForMetrics.__opsMetrics;
}

/** Counts one event (lib/ops/events.ts calls this; nothing else should). */
export function countEvent(event: string, outcome: string): void {
  getMetrics()?.events.inc({ event, outcome });
}

/** Adds a prune's deleted rows per table. */
export function countPrunedRows(deleted: Record<string, number>): void {
  const metrics = getMetrics();
  if (!metrics) return;
  for (const [table, rows] of Object.entries(deleted)) metrics.pruneDeleted.inc({ table }, rows);
}

/**
 * The route label: the path with each dynamic segment replaced by its parameter's name, as the
 * route's folder spells it (`/api/auth/sessions/[id]`, `/api/[...path]`), so ids and unknown
 * paths never become label values.
 */
export function routeLabel(pathname: string, params: Record<string, string | string[]>): string {
  const segments = pathname.split("/");
  const out: string[] = [];
  const singles = new Map<string, string>();
  let catchAll: string | null = null;
  for (const [name, value] of Object.entries(params)) {
    if (Array.isArray(value)) catchAll = name;
    else singles.set(value, name);
  }
  // From the end, each parameter once: dynamic segments follow the static ones they sit under,
  // so a value that happens to equal a static segment (`/api/auth/sessions/sessions`) replaces
  // only its own.
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i]!;
    const name = singles.get(safeDecode(segment));
    if (name) singles.delete(safeDecode(segment));
    out.unshift(name ? `[${name}]` : segment);
  }
  if (catchAll !== null) {
    const values = params[catchAll] as string[];
    out.splice(out.length - values.length, values.length, `[...${catchAll}]`);
  }
  return out.join("/");
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Times one route handler's answer. `defineRoute` (lib/http/route.ts) wraps every API route in it.
 *
 * @example
 * return timeRoute(request, context, () => handle(request, context));
 */
export async function timeRoute(
  request: Request,
  context: { params: Promise<Record<string, string | string[]>> } | undefined,
  handle: () => Promise<Response>,
): Promise<Response> {
  const metrics = getMetrics();
  if (!metrics) return handle();
  const startedAt = performance.now();
  let status = 500;
  try {
    const response = await handle();
    status = response.status;
    return response;
  } finally {
    const seconds = (performance.now() - startedAt) / 1000;
    const params = (await Promise.resolve(context?.params).catch(() => undefined)) ?? {};
    const route = routeLabel(new URL(request.url).pathname, params);
    metrics.routeDuration.observe(
      { route, method: request.method, status: String(status) },
      seconds,
    );
  }
}

/** The text Prometheus scrapes, and its content type. */
export async function renderMetrics(): Promise<{ text: string; contentType: string } | null> {
  const metrics = getMetrics();
  if (!metrics) return null;
  return { text: await metrics.registry.metrics(), contentType: metrics.registry.contentType };
}
