/**
 * Attack suite: planted refresh cookies (issues 11 and 24). A sibling subdomain (`Domain=` the
 * parent) or anyone answering a plain-http request for our host can add cookies the victim's
 * browser then sends to us. On an origin that uses the `__Secure-` name only that name counts
 * for refresh, and a refresh with two refresh-cookie values is refused with 400
 * `refresh_cookie_ambiguous`: it signs nobody into anybody's account. Logout, "log out everywhere"
 * and a password change are never blocked by a planted value: logout ends the session of every
 * value, the planter's too, and clears the cookie, so the victim's real refresh token stops
 * working whichever order the cookies come in, and the planted cookie left in the jar signs
 * nobody in.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as logout } from "@/app/api/auth/logout/route";
import { POST as changePassword } from "@/app/api/auth/password/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { DELETE as logOutEverywhere } from "@/app/api/auth/sessions/route";
import { runWithClockOffset } from "@/lib/auth/clock";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import type { Db } from "@/lib/db/client";
import { snapshotDatabase } from "@/test/attacks/db-snapshot";
import {
  TestClient,
  issuedToSameDevice,
  proofFor,
  setEnv,
  uniqueEmail,
  useTestDatabase,
} from "@/test/harness";

let db: Db;

beforeAll(async () => {
  db = await useTestDatabase();
});

const PASSWORD = "correct horse battery";

/** A signed-in browser: its own refresh token (the test origin is loopback, so `__Secure-`). */
async function signUp(label: string) {
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail(label), password: PASSWORD },
  });
  expect(res.status).toBe(201);
  return {
    client,
    refreshToken: client.refreshToken!,
    accessToken: res.body.accessToken as string,
    userId: res.body.user.id as string,
    email: res.body.user.email as string,
  };
}

/** Calls a route with exactly this Cookie header (and no jar). */
function callWithCookies(
  route: typeof refresh,
  path: string,
  cookie: string,
  extraHeaders: Record<string, string> = {},
) {
  // An access token goes as the browser sends it (a bound one with its DPoP proof: the harness).
  const { authorization, ...headers } = extraHeaders;
  const bearer = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
  return new TestClient().call(route, path, {
    method: "POST",
    refreshToken: null,
    headers: { cookie, ...headers },
    ...(bearer !== undefined && { bearer }),
  });
}

/**
 * The same, over plain http to a LAN address in development (no APP_URL): an origin where only
 * the plain name is used. With APP_URL set, APP_URL alone decides the name (below).
 */
async function callOverPlainHttp(route: typeof refresh, path: string, cookie: string) {
  const url = `http://192.168.1.20:3000${path}`;
  const token = /(?:^|;\s*)refresh_token=([^;]+)/.exec(cookie)?.[1] ?? null;
  const restore = setEnv({ APP_URL: undefined });
  try {
    const response = await route(
      new Request(url, {
        method: "POST",
        headers: { host: "192.168.1.20:3000", cookie, dpop: await proofFor(token, "POST", url) },
      }),
      { params: Promise.resolve({}) },
    );
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) : null,
      headers: response.headers,
    };
  } finally {
    restore();
  }
}

/** Whether refresh still accepts this token on its own, as a thief or the victim would present it. */
async function refreshes(refreshToken: string): Promise<string> {
  const res = await new TestClient().call(refresh, "/api/auth/refresh", {
    method: "POST",
    refreshToken,
  });
  return res.status === 200 ? "200" : `${res.status} ${res.body.error.code}`;
}

/** The `name path` of each cookie a response expires (Max-Age=0 and an empty value). */
function clearedCookies(setCookies: string[]): string[] {
  return setCookies
    .filter((line) => /^[^=]+=;/.test(line) && /max-age=0/i.test(line))
    .map((line) => `${line.slice(0, line.indexOf("="))} ${/path=([^;]+)/i.exec(line)?.[1]}`)
    .sort();
}

/** What a logout on this loopback test origin must clear: both names at the cookie's path, the hint. */
const EVERY_COOKIE_OF_OURS = [
  "__Secure-refresh_token /api/auth",
  "refresh_token /api/auth",
  "session_hint /",
];

const sessionOf = async (refreshToken: string) =>
  (
    await db.refreshToken.findUniqueOrThrow({
      where: { tokenHash: hashRefreshToken(refreshToken) },
      include: { session: true },
    })
  ).session;

describe("only the __Secure- cookie counts for refresh on a secure origin", () => {
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

  it("logout with only an unprefixed (planted) cookie ends the planter's session and clears it", async () => {
    const victim = await signUp("victim");
    const attacker = await signUp("planter");
    const res = await callWithCookies(
      logout,
      "/api/auth/logout",
      `refresh_token=${attacker.refreshToken}`,
      { authorization: `Bearer ${victim.accessToken}` },
    );
    expect(res.status).toBe(204);
    expect(clearedCookies(res.setCookies)).toEqual(EVERY_COOKIE_OF_OURS);
    expect(await refreshes(attacker.refreshToken)).toBe("401 session_revoked");
  });
});

/** The four ways two refresh-cookie values reach us on a secure origin; the attacker's first or last. */
const PLANTED: [string, (victim: string, attacker: string) => string][] = [
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

describe("refresh refuses two refresh-cookie values with 400 refresh_cookie_ambiguous", () => {
  for (const [name, cookieHeader] of PLANTED) {
    it(`${name}: nobody is signed in, nothing changes, no cookie is touched`, async () => {
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
    const res = await callOverPlainHttp(refresh, "/api/auth/refresh", cookie);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("refresh_cookie_ambiguous");
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await snapshotDatabase(db)).toEqual(before);
  });
});

describe("a planted cookie never blocks logout (issue 24)", () => {
  const ACCESS_TOKENS = [
    ["with the victim's access token", (v: { accessToken: string }) => v.accessToken],
    ["without an access token", () => null],
    // A tab whose token ran out while it waited: logout reads no access token, so none can block it.
    ["with an expired access token", (v: { accessToken: string }) => v.accessToken, 600_000],
    [
      "with a forged access token",
      (v: { accessToken: string }) => `${v.accessToken.slice(0, -4)}AAAA`,
    ],
  ] as const;

  for (const [name, cookieHeader] of PLANTED) {
    for (const [withToken, bearerOf, clockOffsetMs = 0] of ACCESS_TOKENS) {
      it(`${name}, ${withToken}: 204, both sessions end, every cookie of ours is cleared`, async () => {
        const victim = await signUp("victim");
        const attacker = await signUp("attacker");
        const bearer = bearerOf(victim);
        const res = await runWithClockOffset(clockOffsetMs, () =>
          callWithCookies(
            logout,
            "/api/auth/logout",
            cookieHeader(victim.refreshToken, attacker.refreshToken),
            bearer === null ? {} : { authorization: `Bearer ${bearer}` },
          ),
        );
        expect(res.status).toBe(204);
        expect(res.body).toBeNull();
        expect(clearedCookies(res.setCookies)).toEqual(EVERY_COOKIE_OF_OURS);
        expect(await sessionOf(victim.refreshToken)).toMatchObject({ revokeReason: "logout" });
        expect(await refreshes(victim.refreshToken)).toBe("401 session_revoked");
        // The planter's session ends too: our Set-Cookie cannot remove a cookie planted for a
        // parent domain or another path, and were its session live, the browser's next refresh
        // (with only that cookie left) would sign the victim into the attacker's account.
        expect(await refreshes(attacker.refreshToken)).toBe("401 session_revoked");
        // Each owner's security activity says so, once, for the session that ended.
        for (const user of [victim, attacker]) {
          const events = await db.authEvent.findMany({
            where: { userId: user.userId, kind: "session_revoked" },
          });
          expect(events.map((e) => [e.reason, e.sessionId])).toEqual([
            ["logout", (await sessionOf(user.refreshToken)).id],
          ]);
        }
      });
    }
  }

  it("the victim's token planted twice beside garbage and an unknown token: its session ends", async () => {
    const victim = await signUp("victim");
    const unknown = "A".repeat(43);
    const res = await callWithCookies(
      logout,
      "/api/auth/logout",
      `__Secure-refresh_token=not-a-token; __Secure-refresh_token=${unknown}; refresh_token=; ` +
        `__Secure-refresh_token=${victim.refreshToken}; refresh_token=${victim.refreshToken}`,
      { authorization: `Bearer ${victim.accessToken}` },
    );
    expect(res.status).toBe(204);
    expect(await refreshes(victim.refreshToken)).toBe("401 session_revoked");
  });

  it("two tabs log out at once with the planted cookie: both answer 204, each session ends once", async () => {
    const victim = await signUp("victim");
    const attacker = await signUp("attacker");
    const cookie = `__Secure-refresh_token=${attacker.refreshToken}; __Secure-refresh_token=${victim.refreshToken}`;
    const answers = await Promise.all(
      [1, 2].map(() =>
        callWithCookies(logout, "/api/auth/logout", cookie, {
          authorization: `Bearer ${victim.accessToken}`,
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([204, 204]);
    for (const token of [victim.refreshToken, attacker.refreshToken]) {
      expect(await sessionOf(token)).toMatchObject({ revokeReason: "logout" });
    }
  });

  it("over plain http to a LAN address, two unprefixed cookies: 204, both sessions end, the plain cookie is cleared", async () => {
    const victim = await signUp("victim");
    const attacker = await signUp("attacker");
    const cookie = `refresh_token=${attacker.refreshToken}; refresh_token=${victim.refreshToken}`;
    const res = await callOverPlainHttp(logout, "/api/auth/logout", cookie);
    expect(res.status).toBe(204);
    expect(clearedCookies(res.headers.getSetCookie())).toEqual([
      "refresh_token /api/auth",
      "session_hint /",
    ]);
    expect(await refreshes(victim.refreshToken)).toBe("401 session_revoked");
    expect(await refreshes(attacker.refreshToken)).toBe("401 session_revoked");
  });
});

describe("a planted cookie never blocks log out everywhere or a password change", () => {
  /** The victim signed in on a second device too: two sessions of one account. */
  async function victimWithLaptop() {
    const victim = await signUp("victim");
    const laptop = new TestClient();
    const res = await laptop.call(login, "/api/auth/login", {
      json: { email: victim.email, password: PASSWORD },
    });
    expect(res.status).toBe(200);
    return { ...victim, laptopRefreshToken: laptop.refreshToken! };
  }

  for (const [name, cookieHeader] of PLANTED) {
    it(`log out everywhere, ${name}: both of the victim's sessions end, the planter's does not`, async () => {
      const victim = await victimWithLaptop();
      const attacker = await signUp("attacker");
      const res = await callWithCookies(
        logOutEverywhere,
        "/api/auth/sessions",
        cookieHeader(victim.refreshToken, attacker.refreshToken),
        { authorization: `Bearer ${victim.accessToken}` },
      );
      expect(res.status).toBe(200);
      expect(res.body.revoked).toBe(2);
      expect(await refreshes(victim.refreshToken)).toBe("401 session_revoked");
      expect(await refreshes(victim.laptopRefreshToken)).toBe("401 session_revoked");
      expect((await sessionOf(attacker.refreshToken)).revokedAt).toBeNull();
    });

    it(`password change, ${name}: 200 and a new cookie, the victim's old sessions end, the planter's does not`, async () => {
      const victim = await victimWithLaptop();
      const attacker = await signUp("attacker");
      const res = await new TestClient().call(changePassword, "/api/auth/password", {
        json: { currentPassword: PASSWORD, newPassword: "a brand new passphrase" },
        bearer: victim.accessToken,
        refreshToken: null,
        headers: { cookie: cookieHeader(victim.refreshToken, attacker.refreshToken) },
      });
      expect(res.status).toBe(200);
      expect(res.body.revokedSessions).toBe(1); // the laptop; the caller's own is replaced
      const issued = /^__Secure-refresh_token=([^;]+);/.exec(res.setCookies.join("\n"))?.[1];
      expect(issued).toBeDefined();
      // The new session keeps the victim's device key (the caller's session's): present it so.
      issuedToSameDevice(issued!, victim.refreshToken);
      expect(await refreshes(issued!)).toBe("200");
      expect(await refreshes(victim.refreshToken)).toBe("401 session_revoked");
      expect(await refreshes(victim.laptopRefreshToken)).toBe("401 session_revoked");
      expect((await sessionOf(attacker.refreshToken)).revokedAt).toBeNull();
    });
  }
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
    // The browser's page is on APP_URL: its proof names that origin, whatever the hop says.
    const htu = new URL("/api/auth/register", process.env.APP_URL).href;
    const response = await register(
      new Request(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          dpop: await proofFor(null, "POST", htu),
          ...headers,
        },
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
