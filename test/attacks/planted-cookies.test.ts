/**
 * Attack suite: planted refresh cookies (issue 11, item 5). A sibling subdomain (`Domain=` the
 * parent) or anyone answering a plain-http request for our host can add cookies the victim's
 * browser then sends to us. On an origin that uses the `__Secure-` name only that name counts,
 * and a request with two refresh-cookie values is refused with 400 `refresh_cookie_ambiguous`:
 * refresh signs nobody into anybody's account, logout revokes nothing and clears nothing.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { POST as logout } from "@/app/api/auth/logout/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import type { Db } from "@/lib/db/client";
import { snapshotDatabase } from "@/test/attacks/db-snapshot";
import { TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

let db: Db;

beforeAll(async () => {
  db = await useTestDatabase();
});

/** A signed-in browser: its own refresh token (the test origin is loopback, so `__Secure-`). */
async function signUp(label: string) {
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail(label), password: "correct horse battery" },
  });
  expect(res.status).toBe(201);
  return { client, refreshToken: client.refreshToken!, userId: res.body.user.id as string };
}

/** Calls a route with exactly this Cookie header (and no jar). */
function callWithCookies(
  route: typeof refresh,
  path: string,
  cookie: string,
  extraHeaders: Record<string, string> = {},
) {
  return new TestClient().call(route, path, {
    method: "POST",
    refreshToken: null,
    headers: { cookie, ...extraHeaders },
  });
}

/**
 * The same, over plain http to a LAN address in development (no APP_URL): an origin where only
 * the plain name is used. With APP_URL set, APP_URL alone decides the name (below).
 */
async function callOverPlainHttp(route: typeof refresh, path: string, cookie: string) {
  const restore = setEnv({ APP_URL: undefined });
  try {
    const response = await route(
      new Request(`http://192.168.1.20:3000${path}`, {
        method: "POST",
        headers: { host: "192.168.1.20:3000", cookie },
      }),
      { params: Promise.resolve({}) },
    );
    return { status: response.status, body: await response.json(), headers: response.headers };
  } finally {
    restore();
  }
}

const sessionOf = async (refreshToken: string) =>
  (
    await db.refreshToken.findUniqueOrThrow({
      where: { tokenHash: hashRefreshToken(refreshToken) },
      include: { session: true },
    })
  ).session;

describe("only the __Secure- cookie counts on a secure origin", () => {
  it("refresh with only an unprefixed (planted) cookie signs nobody in and changes nothing", async () => {
    const attacker = await signUp("planter");
    const before = await snapshotDatabase(db);
    const res = await callWithCookies(
      refresh,
      "/api/auth/refresh",
      `refresh_token=${attacker.refreshToken}`,
    );
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("refresh_token_missing");
    expect(res.body.accessToken).toBeUndefined();
    expect(await snapshotDatabase(db)).toEqual(before);
  });

  it("logout with only an unprefixed cookie revokes nothing", async () => {
    const victim = await signUp("victim");
    await callWithCookies(logout, "/api/auth/logout", `refresh_token=${victim.refreshToken}`);
    expect((await sessionOf(victim.refreshToken)).revokedAt).toBeNull();
  });
});

describe("two refresh-cookie values are refused with 400 refresh_cookie_ambiguous", () => {
  const cases: [string, (victim: string, attacker: string) => string][] = [
    [
      "a planted unprefixed cookie first, the victim's prefixed one after",
      (v, a) => `refresh_token=${a}; __Secure-refresh_token=${v}`,
    ],
    [
      "the victim's prefixed cookie first, a planted unprefixed one after",
      (v, a) => `__Secure-refresh_token=${v}; refresh_token=${a}`,
    ],
    [
      "two prefixed cookies, the planted one first (a longer Path)",
      (v, a) => `__Secure-refresh_token=${a}; __Secure-refresh_token=${v}`,
    ],
    [
      "two prefixed cookies, the victim's first",
      (v, a) => `__Secure-refresh_token=${v}; __Secure-refresh_token=${a}`,
    ],
  ];

  for (const [name, cookieHeader] of cases) {
    it(`refresh, ${name}: nobody is signed in, nothing changes, no cookie is touched`, async () => {
      const victim = await signUp("victim");
      const attacker = await signUp("attacker");
      const before = await snapshotDatabase(db);
      const res = await callWithCookies(
        refresh,
        "/api/auth/refresh",
        cookieHeader(victim.refreshToken, attacker.refreshToken),
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("refresh_cookie_ambiguous");
      expect(res.body.accessToken).toBeUndefined();
      expect(res.setCookies).toEqual([]);
      expect(await snapshotDatabase(db)).toEqual(before);
    });

    it(`logout, ${name}: neither session is revoked, no cookie is cleared`, async () => {
      const victim = await signUp("victim");
      const attacker = await signUp("attacker");
      const before = await snapshotDatabase(db);
      const res = await callWithCookies(
        logout,
        "/api/auth/logout",
        cookieHeader(victim.refreshToken, attacker.refreshToken),
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("refresh_cookie_ambiguous");
      expect(res.setCookies).toEqual([]);
      expect(await snapshotDatabase(db)).toEqual(before);
      expect((await sessionOf(victim.refreshToken)).revokedAt).toBeNull();
      expect((await sessionOf(attacker.refreshToken)).revokedAt).toBeNull();
    });
  }

  it("the same value twice is still two cookies: refused", async () => {
    const victim = await signUp("victim");
    const res = await callWithCookies(
      refresh,
      "/api/auth/refresh",
      `__Secure-refresh_token=${victim.refreshToken}; __Secure-refresh_token=${victim.refreshToken}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("refresh_cookie_ambiguous");
  });

  it("over plain http to a LAN address, two unprefixed cookies are refused too", async () => {
    const victim = await signUp("victim");
    const attacker = await signUp("attacker");
    const before = await snapshotDatabase(db);
    const cookie = `refresh_token=${attacker.refreshToken}; refresh_token=${victim.refreshToken}`;
    for (const [route, path] of [
      [refresh, "/api/auth/refresh"],
      [logout, "/api/auth/logout"],
    ] as const) {
      const res = await callOverPlainHttp(route, path, cookie);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code, path).toBe("refresh_cookie_ambiguous");
      expect(res.headers.getSetCookie(), path).toEqual([]);
    }
    expect(await snapshotDatabase(db)).toEqual(before);
  });
});

describe("controls: one cookie still works", () => {
  it("refresh with the victim's prefixed cookie and unrelated cookies beside it", async () => {
    const victim = await signUp("victim");
    const res = await callWithCookies(
      refresh,
      "/api/auth/refresh",
      `theme=dark; __Secure-refresh_token=${victim.refreshToken}; session_hint=1`,
    );
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(victim.userId);
  });

  it("over plain http to a LAN address, the one unprefixed cookie is the token", async () => {
    const victim = await signUp("victim");
    const res = await callOverPlainHttp(
      refresh,
      "/api/auth/refresh",
      `refresh_token=${victim.refreshToken}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(victim.userId);
  });

  it("logout with the one prefixed cookie revokes that session", async () => {
    const victim = await signUp("victim");
    const res = await callWithCookies(
      logout,
      "/api/auth/logout",
      `__Secure-refresh_token=${victim.refreshToken}`,
    );
    expect(res.status).toBe(204);
    expect((await sessionOf(victim.refreshToken)).revokedAt).not.toBeNull();
  });
});

describe("with APP_URL set, the cookie's name and attributes follow APP_URL alone (issue 26)", () => {
  /** A registration as `next start` hands it over: the URL's scheme from X-Forwarded-Proto. */
  async function registerAs(url: string, headers: Record<string, string>) {
    const response = await register(
      new Request(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ email: uniqueEmail("scheme"), password: "correct horse battery" }),
      }),
      { params: Promise.resolve({}) },
    );
    expect(response.status).toBe(201);
    return response.headers.getSetCookie();
  }

  it("a client's X-Forwarded-Proto: https without TRUST_PROXY does not make an http APP_URL's cookie Secure", async () => {
    const restore = setEnv({ APP_URL: "http://app.internal:3000", TRUST_PROXY: "0" });
    try {
      // next start builds request.url from the client's own X-Forwarded-Proto and Host.
      const cookies = await registerAs("https://app.internal:3000/api/auth/register", {
        host: "app.internal:3000",
        "x-forwarded-proto": "https",
      });
      const refreshCookie = cookies.find((line) => /refresh_token=/.test(line));
      expect(refreshCookie).toMatch(/^refresh_token=/);
      for (const line of cookies) expect(line, line).not.toMatch(/;\s*Secure/i);
    } finally {
      restore();
    }
  });

  it("a loopback APP_URL keeps the __Secure- name whatever Host the request names", async () => {
    const cookies = await registerAs("http://192.168.1.20:3000/api/auth/register", {
      host: "192.168.1.20:3000",
    });
    const refreshCookie = cookies.find((line) => /refresh_token=/.test(line));
    expect(refreshCookie).toMatch(/^__Secure-refresh_token=/);
    for (const line of cookies) expect(line, line).toMatch(/;\s*Secure/i);
  });
});
