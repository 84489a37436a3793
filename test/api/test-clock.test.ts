/**
 * The end-to-end tests' server clock: X-Test-Clock-Offset moves "now" for one
 * request, only when AUTH_TEST_CLOCK=1, and only for a loopback APP_URL.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { GET as me } from "@/app/api/me/route";
import { parseEnv } from "@/lib/env";
import { TestClient, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

let restore: () => void = () => {};
beforeAll(async () => {
  await useTestDatabase();
});
afterEach(() => restore());

async function signUp() {
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail("clock"), password: "correct horse battery" },
  });
  return { client, accessToken: res.body.accessToken as string };
}

describe("X-Test-Clock-Offset", () => {
  it("is refused with 400 when AUTH_TEST_CLOCK is not set, and changes nothing", async () => {
    const { client, accessToken } = await signUp();
    const res = await client.call(me, "/api/me", {
      bearer: accessToken,
      headers: { "x-test-clock-offset": "600" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("test_clock_disabled");
  });

  it("with AUTH_TEST_CLOCK=1 moves the server's time for that request only", async () => {
    restore = setEnv({ AUTH_TEST_CLOCK: "1" });
    const { client, accessToken } = await signUp();
    const later = { "x-test-clock-offset": "301" };
    expect(
      (await client.call(me, "/api/me", { bearer: accessToken, headers: later })).body.error.code,
    ).toBe("token_expired");
    expect((await client.call(me, "/api/me", { bearer: accessToken })).status).toBe(200);

    // Eight days on, the session is idle-expired (SESSION_IDLE_TIMEOUT_SECONDS is 7 days).
    const res = await client.call(refresh, "/api/auth/refresh", {
      method: "POST",
      headers: { "x-test-clock-offset": String(8 * 24 * 3600) },
    });
    expect(res.body.error.code).toBe("session_expired");
  });

  it("refuses offsets that are not whole seconds within a year", async () => {
    restore = setEnv({ AUTH_TEST_CLOCK: "1" });
    const { client, accessToken } = await signUp();
    for (const value of ["1.5", "abc", "99999999999", ""]) {
      const res = await client.call(me, "/api/me", {
        bearer: accessToken,
        headers: { "x-test-clock-offset": value },
      });
      expect(res.status, value).toBe(400);
    }
  });

  it.each([
    "https://auth.example.com",
    "http://staging.example.com:3000",
    "http://app:3000",
    "http://192.168.1.20:3000",
  ])("cannot be enabled for an APP_URL other machines reach: %s", (appUrl) => {
    expect(() =>
      parseEnv({ APP_URL: appUrl, AUTH_SIGNING_KEYS: "{}", AUTH_TEST_CLOCK: "1" }),
    ).toThrow(/refused unless the server is local/);
  });

  it("cannot be enabled by NODE_ENV=production without APP_URL, whatever HOST says", () => {
    expect(() =>
      parseEnv({ NODE_ENV: "production", AUTH_SIGNING_KEYS: "{}", AUTH_TEST_CLOCK: "1" }),
    ).toThrow(/refused unless the server is local/);
  });

  it.each([
    "http://localhost:3210",
    "http://127.0.0.1:3000",
    "https://localhost",
    "http://[::1]:3000",
  ])("can be enabled for a loopback APP_URL: %s", (appUrl) => {
    expect(parseEnv({ APP_URL: appUrl, AUTH_TEST_CLOCK: "1" }).AUTH_TEST_CLOCK).toBe("1");
  });
});
