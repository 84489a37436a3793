/**
 * One measure: what a request's number of cookies costs the server, in CPU per request, on a
 * route handler (`/api/health`, which reads nothing) of the production build.
 *
 * Why it is measured: Next 16's route-handler response finalisation copies every request cookie
 * into a response-cookie list one at a time, re-serialising the list each time, so its cost grows
 * with the square of the cookie count (docs/troubleshooting.md has the minimal reproduction).
 * The app refuses a request over MAX_REQUEST_COOKIES in proxy.ts, before any route handler runs;
 * the curve below is what that cap was chosen from, and it shows the refusal stays cheap.
 *
 * Each point is its own autocannon run at a fixed cookie count, every request carrying the same
 * `c0=1; c1=1; …` header (tiny distinct cookies: the attacker's cheapest flood). Points are
 * measured in a forward and then a backward pass, and each reported figure is the median of its
 * passes, so a burst of machine load does not land on one end of the curve only.
 */
import { MAX_REQUEST_COOKIES } from "../lib/http/cookie-cap";
import { type Measurement, type Target, hammer, perConnection } from "./measure";
import type { GoalRow } from "./report";
import { median } from "./stats";

/**
 * The cookie counts of the curve: none, an ordinary browser's load, the largest store a browser
 * keeps for one site (180: Chromium and Firefox), the cap and one over it, and the flood of
 * issue 26 (1,800 such cookies are about 16 KB, just under Node's header limit).
 */
export const COOKIE_CURVE_COUNTS: readonly number[] = [
  ...new Set([0, 50, 100, 180, MAX_REQUEST_COOKIES, MAX_REQUEST_COOKIES + 1, 500, 1000, 1800]),
].sort((a, b) => a - b);

/** The flood of issue 26 (the curve's last point). */
export const FLOOD_COOKIES = 1800;

/** `c0=1; c1=1; …`: `count` distinct one-byte cookies. */
export function floodCookieHeader(count: number): string {
  return Array.from({ length: count }, (_, i) => `c${i}=1`).join("; ");
}

export type CookieCurvePoint = {
  cookies: number;
  /** The Cookie header's length in bytes. */
  headerBytes: number;
  /** Server CPU per request (process tree), in milliseconds: the median over passes. */
  cpuMsPerRequest: number;
  /** The status every request of this point answered (the cap's 431 above it). */
  status: number;
  requests: number;
  /** Answers that were not this point's status, over every pass (must be 0). */
  unexpected: number;
};

/**
 * Measures CPU per request at each cookie count on one server.
 *
 * @example
 * const curve = await measureCookieCurve(ours, { seconds: 2, connections: 4, passes: 2 });
 */
export async function measureCookieCurve(
  server: Target,
  settings: { seconds: number; connections: number; passes: number },
  counts: readonly number[] = COOKIE_CURVE_COUNTS,
): Promise<CookieCurvePoint[]> {
  const samples = new Map<number, { m: Measurement; status: number }[]>();
  for (let pass = 0; pass < settings.passes; pass++) {
    const order = pass % 2 === 0 ? [...counts] : [...counts].reverse();
    for (const count of order) {
      const cookie = floodCookieHeader(count);
      const headers: Record<string, string> = count > 0 ? { cookie } : {};
      const probe = await fetch(`${server.url}/api/health`, { headers });
      await probe.arrayBuffer();
      const m = await hammer(
        server,
        "/api/health",
        perConnection(() => ({ headers })),
        { seconds: settings.seconds, connections: settings.connections },
      );
      const list = samples.get(count) ?? [];
      list.push({ m, status: probe.status });
      samples.set(count, list);
    }
  }
  return counts.map((count) => {
    const list = samples.get(count)!;
    const status = list[0]!.status;
    const ok = status >= 200 && status < 300;
    // hammer counts non-2xx answers; a refused point expects all of them to be its status.
    const unexpected = list.reduce(
      (sum, { m }) =>
        sum + m.errors + (ok ? m.non2xx : m.requests - (m.statuses[String(status)] ?? 0)),
      0,
    );
    return {
      cookies: count,
      headerBytes: Buffer.byteLength(floodCookieHeader(count)),
      cpuMsPerRequest: median(list.map(({ m }) => (m.cpuSeconds / m.requests) * 1000)),
      status,
      requests: list.reduce((sum, { m }) => sum + m.requests, 0),
      unexpected,
    };
  });
}

/**
 * The goal: the flood, refused by the cap, costs the server no more than twice an empty request
 * (before the cap it cost about 400×). A ratio within one run, so machine load cancels out.
 */
export function cookieFloodGoal(curve: CookieCurvePoint[], load: readonly number[]): GoalRow {
  const empty = curve.find((p) => p.cookies === 0);
  const flood = curve.find((p) => p.cookies === FLOOD_COOKIES);
  return {
    name: `CPU per request of a ${FLOOD_COOKIES}-cookie flood vs no cookies (/api/health)`,
    figure: empty && flood ? flood.cpuMsPerRequest / empty.cpuMsPerRequest : null,
    target: 2,
    direction: "atMost",
    unit: "×",
    load,
    how: `the cookie curve below; refused with ${flood?.status ?? "—"} by the cap (MAX_REQUEST_COOKIES = ${MAX_REQUEST_COOKIES})`,
  };
}

/** The curve as a Markdown table with its explanation (RESULTS.md's cookie section). */
export function renderCookieCurve(curve: CookieCurvePoint[]): string[] {
  const empty = curve.find((p) => p.cookies === 0)?.cpuMsPerRequest;
  return [
    `CPU per request on \`/api/health\` by the number of cookies the request carries (\`c0=1; c1=1; …\`), median of forward and backward passes. Above MAX_REQUEST_COOKIES (${MAX_REQUEST_COOKIES}) proxy.ts answers 431 \`too_many_cookies\` before any route handler runs; below it Next's route-handler finalisation costs CPU quadratic in the count (lib/http/cookie-cap.ts, docs/troubleshooting.md).`,
    "",
    "| Cookies | Header bytes | Status | CPU ms per request | vs no cookies | Requests | Unexpected answers |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...curve.map(
      (p) =>
        `| ${p.cookies} | ${p.headerBytes} | ${p.status} | ${p.cpuMsPerRequest.toFixed(2)} | ${empty ? (p.cpuMsPerRequest / empty).toFixed(1) : "—"}× | ${p.requests} | ${p.unexpected} |`,
    ),
  ];
}

/**
 * What is wrong with a measured curve: a point at or under the cap that was not served (200), one
 * over it that was not refused (431), or any answer that differed from its point's first.
 *
 * @example
 * cookieCurveProblems(curve); // [] when the cap holds
 */
export function cookieCurveProblems(curve: CookieCurvePoint[]): string[] {
  return curve.flatMap((p) => {
    const expected = p.cookies > MAX_REQUEST_COOKIES ? 431 : 200;
    const problems: string[] = [];
    if (p.status !== expected)
      problems.push(`${p.cookies} cookies answered ${p.status}, not ${expected}`);
    if (p.unexpected > 0) problems.push(`${p.cookies} cookies: ${p.unexpected} unexpected answers`);
    return problems;
  });
}
