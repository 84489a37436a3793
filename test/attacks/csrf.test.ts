/**
 * Attack suite: cross-site request forgery. A page on another site makes the
 * victim's browser send requests with its cookies. Every state-changing auth
 * route refuses what the browser labels cross-site (403, nothing written),
 * simple content types cannot reach the JSON routes, and logout is POST-only.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import * as logoutRoute from "@/app/api/auth/logout/route";
import { POST as changePassword } from "@/app/api/auth/password/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { DELETE as revokeOne } from "@/app/api/auth/sessions/[id]/route";
import { DELETE as revokeAll } from "@/app/api/auth/sessions/route";
import { POST as addNote } from "@/app/api/notes/route";
import type { Db } from "@/lib/db/client";
import { snapshotDatabase } from "@/test/attacks/db-snapshot";
import { APP_ORIGIN, TestClient, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
let db: Db;
let victim: TestClient;
let victimEmail: string;
let accessToken: string;
let sessionId: string;

beforeAll(async () => {
  db = await useTestDatabase();
  victim = new TestClient();
  victimEmail = uniqueEmail("csrf");
  const res = await victim.call(register, "/api/auth/register", {
    json: { email: victimEmail, password: PASSWORD },
  });
  accessToken = res.body.accessToken;
  sessionId = JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString()).sid;
});

const CROSS_SITE_LABELS: Record<string, Record<string, string>> = {
  "Sec-Fetch-Site: cross-site": { "sec-fetch-site": "cross-site" },
  "Sec-Fetch-Site: same-site (a sibling subdomain)": { "sec-fetch-site": "same-site" },
  "Origin of another site": { origin: "https://evil.example" },
  "Origin: null (sandboxed frame)": { origin: "null" },
  "Origin differing only in scheme": { origin: APP_ORIGIN.replace("http:", "https:") },
  "Origin differing only in port": { origin: "http://localhost:3001" },
  // Issue 26: with APP_URL set, the Host a request names is not our origin.
  "Host and Origin both another site": {
    host: "evil.example:3000",
    origin: "http://evil.example:3000",
  },
  "Host and Origin both another site, X-Forwarded-Proto: https": {
    host: "evil.example",
    origin: "https://evil.example",
    "x-forwarded-proto": "https",
  },
};

type Attempt = {
  name: string;
  send: (headers: Record<string, string>) => Promise<{ status: number; body: any }>;
};

const attempts: Attempt[] = [
  {
    name: "login (login CSRF: signing the victim into the attacker's account)",
    send: (headers) =>
      new TestClient().call(login, "/api/auth/login", {
        json: { email: victimEmail, password: PASSWORD },
        headers,
      }),
  },
  {
    name: "register",
    send: (headers) =>
      new TestClient().call(register, "/api/auth/register", {
        json: { email: uniqueEmail("csrf-new"), password: PASSWORD },
        headers,
      }),
  },
  {
    name: "refresh",
    send: (headers) => victim.call(refresh, "/api/auth/refresh", { method: "POST", headers }),
  },
  {
    name: "logout",
    send: (headers) =>
      victim.call(logoutRoute.POST, "/api/auth/logout", { method: "POST", headers }),
  },
  {
    name: "revoke all sessions",
    send: (headers) =>
      victim.call(revokeAll, "/api/auth/sessions", {
        method: "DELETE",
        bearer: accessToken,
        headers,
      }),
  },
  {
    name: "revoke one session",
    send: (headers) =>
      victim.call(revokeOne, `/api/auth/sessions/${sessionId}`, {
        method: "DELETE",
        bearer: accessToken,
        params: { id: sessionId },
        headers,
      }),
  },
  {
    name: "change password",
    send: (headers) =>
      victim.call(changePassword, "/api/auth/password", {
        json: { currentPassword: PASSWORD, newPassword: "attacker chosen pw" },
        bearer: accessToken,
        headers,
      }),
  },
  {
    name: "add a note",
    send: (headers) =>
      victim.call(addNote, "/api/notes", { json: { body: "csrf" }, bearer: accessToken, headers }),
  },
];

describe("cross-site requests are refused with 403 and change nothing", () => {
  for (const attempt of attempts) {
    for (const [label, headers] of Object.entries(CROSS_SITE_LABELS)) {
      it(`${attempt.name}, ${label}`, async () => {
        const before = await snapshotDatabase(db);
        const keptCookie = victim.refreshToken;
        const res = await attempt.send(headers);
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe("cross_site_request");
        expect(await snapshotDatabase(db)).toEqual(before);
        expect(victim.refreshToken).toBe(keptCookie);
      });
    }
  }
});

describe("same-origin requests still work", () => {
  it("accepts Sec-Fetch-Site: same-origin with our Origin", async () => {
    const res = await victim.call(refresh, "/api/auth/refresh", {
      method: "POST",
      headers: { "sec-fetch-site": "same-origin", origin: APP_ORIGIN },
    });
    expect(res.status).toBe(200);
  });
});

describe("simple requests a cross-site form could send", () => {
  for (const contentType of [
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=x",
  ]) {
    it(`login with ${contentType.split(";")[0]} is 415 even without browser labels`, async () => {
      const res = await new TestClient().call(login, "/api/auth/login", {
        body: JSON.stringify({ email: victimEmail, password: PASSWORD }),
        headers: { "content-type": contentType },
      });
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe("unsupported_media_type");
    });
  }

  it("logout is POST only: a GET (an <img> tag) has no handler", () => {
    expect(Object.keys(logoutRoute)).toEqual(["POST"]);
  });
});
