import { describe, expect, it } from "vitest";

import {
  buildLoginUrl,
  describeSignOutReason,
  isSameOriginPath,
  sanitizeNextPath,
  SIGN_OUT_REASONS,
} from "./redirect";

describe("sanitizeNextPath", () => {
  it.each([
    "/",
    "/dashboard",
    "/notes?page=2&sort=desc",
    "/notes#top",
    "/a/b/c",
    "/%2F%2Fevil.example",
  ])("keeps the same-origin path %j", (path) => {
    expect(sanitizeNextPath(path, "/fallback")).toBe(path);
  });

  it.each([
    ["protocol-relative URL", "//evil.example"],
    ["backslash read as a slash", "/\\evil.example"],
    ["absolute URL", "https://evil.example/"],
    ["javascript: URL", "javascript:alert(1)"],
    ["relative path", "dashboard"],
    ["tab stripped by the URL parser", "/\t/evil.example"],
    ["newline stripped by the URL parser", "/\n/evil.example"],
    ["empty string", ""],
    ["null", null],
    ["undefined", undefined],
  ])("rejects %s", (_label, raw) => {
    expect(isSameOriginPath(raw)).toBe(false);
    expect(sanitizeNextPath(raw, "/fallback")).toBe("/fallback");
  });

  it("falls back to / by default", () => {
    expect(sanitizeNextPath("//evil.example")).toBe("/");
  });
});

describe("buildLoginUrl", () => {
  it("carries the reason and the encoded path the user was on", () => {
    expect(buildLoginUrl({ reason: "session_expired", next: "/notes?page=2" })).toBe(
      "/login?reason=session_expired&next=%2Fnotes%3Fpage%3D2",
    );
  });

  it("drops an unsafe next, and a next that is the login page itself", () => {
    expect(buildLoginUrl({ reason: "session_revoked", next: "//evil.example" })).toBe(
      "/login?reason=session_revoked",
    );
    expect(buildLoginUrl({ reason: "session_revoked", next: "/login?reason=x" })).toBe(
      "/login?reason=session_revoked",
    );
  });

  it("is plain /login with nothing to say", () => {
    expect(buildLoginUrl()).toBe("/login");
  });
});

describe("describeSignOutReason", () => {
  it("explains reuse as the session being used elsewhere", () => {
    expect(describeSignOutReason("refresh_token_reused")).toMatch(
      /signed out because your session was used elsewhere/,
    );
  });

  it("has a distinct message for every reason", () => {
    const messages = SIGN_OUT_REASONS.map((reason) => describeSignOutReason(reason));
    expect(new Set(messages).size).toBe(SIGN_OUT_REASONS.length);
  });

  it("never echoes an unknown code, and says nothing without one", () => {
    expect(describeSignOutReason("<b>you were hacked</b>")).toBe(
      "You have been signed out. Please sign in again.",
    );
    expect(describeSignOutReason(null)).toBeNull();
    expect(describeSignOutReason("")).toBeNull();
  });
});
