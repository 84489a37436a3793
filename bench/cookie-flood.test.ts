import { describe, expect, it } from "vitest";
import {
  COOKIE_CURVE_COUNTS,
  type CookieCurvePoint,
  cookieCurveProblems,
  cookieFloodGoal,
  floodCookieHeader,
  renderCookieCurve,
} from "./cookie-flood";
import { MAX_REQUEST_COOKIES } from "../lib/http/cookie-cap";
import { judge } from "./stats";

const point = (cookies: number, cpuMsPerRequest: number, status: number): CookieCurvePoint => ({
  cookies,
  headerBytes: Buffer.byteLength(floodCookieHeader(cookies)),
  cpuMsPerRequest,
  status,
  requests: 10,
  unexpected: 0,
});

describe("the cookie curve", () => {
  it("spans none to the flood, the cap and one over it, each once and in order", () => {
    expect(COOKIE_CURVE_COUNTS[0]).toBe(0);
    expect(COOKIE_CURVE_COUNTS).toContain(MAX_REQUEST_COOKIES);
    expect(COOKIE_CURVE_COUNTS).toContain(MAX_REQUEST_COOKIES + 1);
    expect(new Set(COOKIE_CURVE_COUNTS).size).toBe(COOKIE_CURVE_COUNTS.length);
    expect([...COOKIE_CURVE_COUNTS].sort((a, b) => a - b)).toEqual(COOKIE_CURVE_COUNTS);
    // The flood stays under Node's 16 KB header limit, or it would measure Node's 431.
    expect(floodCookieHeader(COOKIE_CURVE_COUNTS.at(-1)!).length).toBeLessThan(16 * 1024 - 512);
  });

  it("fails a run where the cap did not hold, and judges the flood's cost against an empty request", () => {
    const good = [point(0, 2, 200), point(MAX_REQUEST_COOKIES, 10, 200), point(1800, 3, 431)];
    expect(cookieCurveProblems(good)).toEqual([]);
    expect(judge(cookieFloodGoal(good, [1]))).toBe("met");
    const broken = [
      point(0, 2, 200),
      point(MAX_REQUEST_COOKIES + 1, 12, 200),
      point(1800, 800, 200),
    ];
    expect(cookieCurveProblems(broken)).toHaveLength(2);
    expect(judge(cookieFloodGoal(broken, [1]))).toBe("not met");
    expect(renderCookieCurve(good).join("\n")).toMatch(
      /\| 1800 \| \d+ \| 431 \| 3\.00 \| 1\.5× \|/,
    );
  });
});
