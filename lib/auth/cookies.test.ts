/**
 * Why lib/auth/cookies.ts parses the Cookie header itself instead of using NextRequest.cookies:
 * only its own parser sees both values of a duplicated refresh cookie.
 */
import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import {
  RefreshCookieAmbiguous,
  readRefreshCookie,
  readRefreshCookieValues,
} from "@/lib/auth/cookies";
import { APP_ORIGIN, setEnv, useTestDatabase } from "@/test/harness";

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

  it("is every value to readRefreshCookieValues (logout's reader), each once, both names on a secure origin", () => {
    const cookie = `${TWO_VALUES}; refresh_token=plain; theme=dark; __Secure-refresh_token=ours; refresh_token=`;
    const onLoopback = new Request(`${APP_ORIGIN}/api/auth/logout`, {
      headers: { cookie, host: new URL(APP_ORIGIN).host },
    });
    expect(readRefreshCookieValues(onLoopback)).toEqual(["planted", "ours", "plain"]);
    // Over plain http to a LAN address in development (no APP_URL) the browser sends no Secure
    // cookie: only the plain name.
    const restore = setEnv({ APP_URL: undefined });
    try {
      const overPlainHttp = new Request("http://192.168.1.20:3000/api/auth/logout", {
        headers: { cookie, host: "192.168.1.20:3000" },
      });
      expect(readRefreshCookieValues(overPlainHttp)).toEqual(["plain"]);
    } finally {
      restore();
    }
  });

  it("would be one value to NextRequest.cookies, getAll included (so it cannot replace the parser)", () => {
    const request = new NextRequest(`${APP_ORIGIN}/api/auth/refresh`, {
      headers: { cookie: TWO_VALUES },
    });
    expect(request.cookies.getAll("__Secure-refresh_token")).toHaveLength(1);
  });
});
