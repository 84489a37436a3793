import { describe, expect, it } from "vitest";
import { ERROR_CODE, SIGN_OUT_REASON } from "@/lib/contract";
import { sessionBody, TEST_USER } from "@/test/client/fakes";
import {
  isRefreshable401,
  isTransientStatus,
  readPasswordChangedBody,
  readSessionBody,
  toRejectionReason,
} from "./wire";

describe("reading a session body", () => {
  it("anchors the expiry to our own send time, never to the server's absolute time", () => {
    const body = { ...sessionBody("token-1", 300), accessTokenExpiresAt: "1999-01-01T00:00:00Z" };
    expect(readSessionBody(body, 1_000)).toEqual({
      user: TEST_USER,
      accessToken: "token-1",
      issuedAt: 1_000,
      expiresAt: 301_000,
    });
  });

  it.each([
    ["no body", null],
    ["no user", { ...sessionBody("t"), user: undefined }],
    ["an empty token", sessionBody("")],
    ["a negative lifetime", sessionBody("t", -1)],
    ["a lifetime that is not a number", { ...sessionBody("t"), accessTokenExpiresIn: "300" }],
  ])("refuses %s", (_label, body) => {
    expect(readSessionBody(body, 0)).toBeNull();
  });

  it("reads a user without a name as name null", () => {
    const { name: _name, ...nameless } = TEST_USER;
    expect(readSessionBody({ ...sessionBody("t"), user: nameless }, 0)?.user.name).toBeNull();
  });

  it("reads a password change's count, and refuses one without it", () => {
    const body = { ...sessionBody("t"), revokedSessions: 2 };
    expect(readPasswordChangedBody(body, 0)?.revokedSessions).toBe(2);
    expect(readPasswordChangedBody(sessionBody("t"), 0)).toBeNull();
  });
});

describe("what a status or code means", () => {
  it("refreshes for the access-token codes and session_revoked, nothing else", () => {
    for (const code of [
      ERROR_CODE.tokenMissing,
      ERROR_CODE.tokenExpired,
      ERROR_CODE.tokenInvalid,
      ERROR_CODE.sessionRevoked,
    ]) {
      expect(isRefreshable401(code)).toBe(true);
    }
    expect(isRefreshable401(ERROR_CODE.refreshTokenReused)).toBe(false);
    expect(isRefreshable401(null)).toBe(false);
  });

  it("treats 5xx, 408 and 429 as worth another try", () => {
    expect([500, 502, 503, 408, 429].every(isTransientStatus)).toBe(true);
    expect([400, 401, 403, 404].some(isTransientStatus)).toBe(false);
  });

  it("turns the refresh endpoint's refusal into a sign-out reason, unknown codes as invalid", () => {
    expect(toRejectionReason(ERROR_CODE.refreshTokenReused)).toBe(
      SIGN_OUT_REASON.refreshTokenReused,
    );
    expect(toRejectionReason("teapot")).toBe(SIGN_OUT_REASON.refreshTokenInvalid);
    expect(toRejectionReason(null)).toBe(SIGN_OUT_REASON.refreshTokenInvalid);
  });
});
