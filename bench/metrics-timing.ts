/**
 * The metrics' own work timed in-process (lib/ops/metrics.ts `timeRoute`, what `defineRoute`
 * wraps every answer in), for `npm run bench` and `npm run bench:metrics`.
 */
import { forgetEnv, forgetMetrics } from "../lib/dev/process-state";
import { timeRoute } from "../lib/ops/metrics";
import { cpuMicrosPerCall } from "./measure";
import { APP_URL } from "./setup";
import { median, roundOrder } from "./stats";

/** CPU µs of `timeRoute` around a trivial handler, metrics on and off, alternating batches. */
export async function timeRouteCostUs(rounds: number): Promise<{ on: number; off: number }> {
  const id = "00000000-0000-4000-8000-000000000001";
  const context = { params: Promise.resolve({ id }) };
  const request = new Request(`${APP_URL}/api/auth/sessions/${id}`);
  const handle = async () => new Response(null, { status: 204 });
  const call = () => timeRoute(request, context, handle);
  const switchMetrics = (enabled: "0" | "1") => {
    process.env.METRICS_ENABLED = enabled;
    forgetEnv();
    forgetMetrics();
  };
  const samples: Record<"on" | "off", number[]> = { on: [], off: [] };
  for (let round = 0; round < rounds; round++) {
    for (const key of roundOrder(["on", "off"] as const, round)) {
      switchMetrics(key === "on" ? "1" : "0");
      samples[key].push(await cpuMicrosPerCall(call, 20_000));
    }
  }
  switchMetrics("1");
  return { on: median(samples.on), off: median(samples.off) };
}
