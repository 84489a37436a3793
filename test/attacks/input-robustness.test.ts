/**
 * Attack suite: hostile input on every route that reads a body or a path
 * parameter. Always a 4xx with the JSON error shape, never a 500, and after
 * every refused request the database holds exactly what it held before.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as changePassword } from "@/app/api/auth/password/route";
import { POST as register } from "@/app/api/auth/register/route";
import { DELETE as revokeOne } from "@/app/api/auth/sessions/[id]/route";
import { POST as addNote } from "@/app/api/notes/route";
import { normalizeEmail } from "@/lib/validation/auth";
import type { Db } from "@/lib/db/client";
import { snapshotDatabase } from "@/test/attacks/db-snapshot";
import { TestClient, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "correct horse battery";
let db: Db;
let accessToken: string;

beforeAll(async () => {
  db = await useTestDatabase();
  const res = await new TestClient().call(register, "/api/auth/register", {
    json: { email: uniqueEmail("input"), password: PASSWORD },
  });
  accessToken = res.body.accessToken;
});

type Handler = Parameters<TestClient["call"]>[0];
const ROUTES: Array<{ name: string; handler: Handler; path: string; bearer: boolean }> = [
  { name: "register", handler: register, path: "/api/auth/register", bearer: false },
  { name: "login", handler: login, path: "/api/auth/login", bearer: false },
  { name: "notes", handler: addNote, path: "/api/notes", bearer: true },
  { name: "password", handler: changePassword, path: "/api/auth/password", bearer: true },
];

const BODIES: Record<
  string,
  { body?: string | Uint8Array<ArrayBuffer>; contentType?: string; status: number; code: string }
> = {
  "malformed JSON": { body: '{"email": "a@b.c",', status: 400, code: "invalid_json" },
  "JSON null": { body: "null", status: 400, code: "invalid_json" },
  "a JSON array": { body: '[{"email":"a@b.c"}]', status: 400, code: "invalid_json" },
  "a JSON string": { body: '"hello"', status: 400, code: "invalid_json" },
  "an empty body": { body: "", status: 400, code: "invalid_json" },
  "invalid UTF-8": {
    body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    status: 400,
    code: "invalid_json",
  },
  "wrong JSON types": {
    body: '{"email": 42, "password": true, "body": ["x"], "currentPassword": {}, "newPassword": 1}',
    status: 400,
    code: "invalid_request",
  },
  "prototype keys": {
    body: '{"__proto__": {"admin": true}, "constructor": {"prototype": {"admin": true}}}',
    status: 400,
    code: "invalid_request",
  },
  "no content type": {
    body: '{"email":"a@b.c"}',
    contentType: "",
    status: 415,
    code: "unsupported_media_type",
  },
  "text/plain": {
    body: '{"email":"a@b.c"}',
    contentType: "text/plain",
    status: 415,
    code: "unsupported_media_type",
  },
  "application/json-seq": {
    body: '{"email":"a@b.c"}',
    contentType: "application/json-seq",
    status: 415,
    code: "unsupported_media_type",
  },
  "a body over the 16 kB cap": {
    body: JSON.stringify({ email: "a@b.c", password: "x".repeat(20_000) }),
    status: 413,
    code: "payload_too_large",
  },
};

describe("every body-reading route refuses hostile bodies with a 4xx and writes nothing", () => {
  for (const route of ROUTES) {
    for (const [name, c] of Object.entries(BODIES)) {
      it(`${route.name}: ${name} → ${c.status} ${c.code}`, async () => {
        const before = await snapshotDatabase(db);
        const headers: Record<string, string> = {};
        if (c.contentType !== "") headers["content-type"] = c.contentType ?? "application/json";
        const res = await new TestClient().call(route.handler, route.path, {
          method: "POST",
          body: c.body,
          headers,
          bearer: route.bearer ? accessToken : undefined,
        });
        expect(res.status).toBe(c.status);
        expect(res.body.error.code).toBe(c.code);
        expect(typeof res.body.error.message).toBe("string");
        expect(await snapshotDatabase(db)).toEqual(before);
      });
    }
  }
});

describe("hostile emails", () => {
  const HOSTILE: Record<string, string> = {
    "a NUL byte": "ada\u0000@example.com",
    "a lone surrogate": "ada\ud800@example.com",
    "a newline (header injection)": "ada@example.com\r\nBcc: x@evil.example",
    "300 characters": `${"a".repeat(290)}@example.com`,
    "a zero-width space": "ada\u200b@example.com",
    "no @": "ada.example.com",
  };
  for (const [name, email] of Object.entries(HOSTILE)) {
    it(`refuses ${name} with 400 invalid_request on the email field, writing nothing`, async () => {
      const before = await snapshotDatabase(db);
      const res = await new TestClient().call(register, "/api/auth/register", {
        json: { email, password: PASSWORD },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.fields.email).toBeDefined();
      expect(await snapshotDatabase(db)).toEqual(before);
    });
  }

  it("normalises look-alikes (full-width letters, case) to one account: NFKC, trimmed, lower-cased", async () => {
    const local = `ada${Date.now()}`;
    const first = await new TestClient().call(register, "/api/auth/register", {
      json: { email: `${local}@example.com`, password: PASSWORD },
    });
    expect(first.status).toBe(201);
    const fullWidth = [...`${local.toUpperCase()}@EXAMPLE.COM`]
      .map((ch) => (/[A-Z0-9@.]/.test(ch) ? String.fromCharCode(ch.charCodeAt(0) + 0xfee0) : ch))
      .join("");
    expect(normalizeEmail(fullWidth)).toBe(`${local}@example.com`);
    const before = await snapshotDatabase(db);
    const lookAlike = await new TestClient().call(register, "/api/auth/register", {
      json: { email: fullWidth, password: PASSWORD },
    });
    expect(lookAlike.status).toBe(409);
    expect(await snapshotDatabase(db)).toEqual(before);
    const signIn = await new TestClient().call(login, "/api/auth/login", {
      json: { email: fullWidth, password: PASSWORD },
    });
    expect(signIn.status).toBe(200);
    expect(signIn.body.user.email).toBe(`${local}@example.com`);
  });
});

describe("path parameters", () => {
  for (const id of ["not-a-uuid", "../../etc/passwd", "' OR 1=1 --", "1".repeat(500)]) {
    it(`refuses session id ${JSON.stringify(id.slice(0, 20))} with 400`, async () => {
      const before = await snapshotDatabase(db);
      const res = await new TestClient().call(revokeOne, `/api/auth/sessions/x`, {
        method: "DELETE",
        bearer: accessToken,
        params: { id },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(await snapshotDatabase(db)).toEqual(before);
    });
  }
});
