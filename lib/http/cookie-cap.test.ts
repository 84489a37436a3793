import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { MAX_REQUEST_COOKIES, countCookies, refuseCookieFlood } from "@/lib/http/cookie-cap";
import { config, proxy } from "@/proxy";

const cookies = (n: number) => Array.from({ length: n }, (_, i) => `c${i}=1`).join("; ");

describe("the cookie cap", () => {
  it("counts a Cookie header's parts", () => {
    expect(countCookies(null)).toBe(0);
    expect(countCookies("")).toBe(0);
    expect(countCookies("a=1")).toBe(1);
    expect(countCookies(cookies(MAX_REQUEST_COOKIES))).toBe(MAX_REQUEST_COOKIES);
  });

  it("refuses one over the cap with 431 too_many_cookies, and lets the cap through", async () => {
    expect(refuseCookieFlood(cookies(MAX_REQUEST_COOKIES))).toBeNull();
    const refusal = refuseCookieFlood(cookies(MAX_REQUEST_COOKIES + 1))!;
    expect(refusal.status).toBe(431);
    expect(refusal.headers.get("content-type")).toBe("application/json");
    expect((await refusal.json()).error.code).toBe("too_many_cookies");
  });

  it("serves an ordinary browser's load (100 cookies, and the 180 Chromium and Firefox keep per site)", () => {
    expect(MAX_REQUEST_COOKIES).toBeGreaterThanOrEqual(180);
    expect(refuseCookieFlood(cookies(100))).toBeNull();
    expect(refuseCookieFlood(cookies(180))).toBeNull();
  });

  it("proxy.ts's API matcher spells the same number: it matches exactly the requests over the cap", () => {
    // Next anchors a `has` value and matches it against the header (prepare-destination's matchHas).
    const apiEntry = config.matcher.find((m) => typeof m !== "string")!;
    expect(apiEntry.source).toBe("/api/:path*");
    const has = apiEntry.has[0]!;
    expect(has).toMatchObject({ type: "header", key: "cookie" });
    const matches = (header: string) => new RegExp(`^${has.value}$`).test(header);
    expect(matches(cookies(MAX_REQUEST_COOKIES))).toBe(false);
    expect(matches(cookies(MAX_REQUEST_COOKIES + 1))).toBe(true);
    expect(matches(cookies(1800))).toBe(true);
  });

  it("the proxy answers 431 for an API path, a page and the JWKS over the cap", async () => {
    for (const path of ["/api/health", "/login", "/.well-known/jwks.json"]) {
      const request = new NextRequest(`http://localhost:3000${path}`, {
        headers: { cookie: cookies(MAX_REQUEST_COOKIES + 1) },
      });
      const response = proxy(request);
      expect(response.status, path).toBe(431);
    }
    const served = proxy(
      new NextRequest("http://localhost:3000/api/health", {
        headers: { cookie: cookies(MAX_REQUEST_COOKIES) },
      }),
    );
    expect(served.status).toBe(200);
    expect(served.headers.get("x-middleware-next")).toBe("1");
  });
});
