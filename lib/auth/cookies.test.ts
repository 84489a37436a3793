/**
 * Why lib/auth/cookies.ts parses the Cookie header itself instead of using NextRequest.cookies:
 * only its own parser sees both values of a duplicated refresh cookie.
 */
import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { RefreshCookieAmbiguous, readRefreshCookie } from "@/lib/auth/cookies";
import { APP_ORIGIN, useTestDatabase } from "@/test/harness";

const TWO_VALUES = "__Secure-refresh_token=planted; __Secure-refresh_token=ours";

beforeAll(async () => {
  await useTestDatabase();
});

describe("a refresh cookie sent twice", () => {
  it("is refused as ambiguous by readRefreshCookie", () => {
    const request = new Request(`${APP_ORIGIN}/api/auth/refresh`, {
      headers: { cookie: TWO_VALUES, host: new URL(APP_ORIGIN).host },
    });
    expect(() => readRefreshCookie(request)).toThrow(RefreshCookieAmbiguous);
  });

  it("would be one value to NextRequest.cookies, getAll included (so it cannot replace the parser)", () => {
    const request = new NextRequest(`${APP_ORIGIN}/api/auth/refresh`, {
      headers: { cookie: TWO_VALUES },
    });
    expect(request.cookies.getAll("__Secure-refresh_token")).toHaveLength(1);
  });
});
