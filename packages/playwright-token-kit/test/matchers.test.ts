/**
 * The assertions' verdicts and messages, on recorded traffic without a browser: a stand-in context
 * emits the requests, each with the answer a server gave. What the browser suites prove against
 * two real apps, this pins down line by line (which request is named, how tokens are shown).
 */
import type { BrowserContext, ExpectMatcherState, Request } from "@playwright/test";
import { describe, expect, it } from "vitest";
import type { TokenKitAdapter } from "../src/adapter";
import { AuthNetwork } from "../src/auth-network";
import { tokenKitMatchers } from "../src/matchers";

const adapter = {
  refresh: { path: "/auth/token", cookie: "rt" },
  accessToken: {},
  isApiRequest: () => true,
} as unknown as TokenKitAdapter;

/** A JWT-shaped token whose payload names it (never verified by the kit). */
const jwt = (name: string) =>
  `e30.${Buffer.from(JSON.stringify({ sub: name, exp: 2_000_000_000 })).toString("base64url")}.sig`;

interface Call {
  method?: string;
  path: string;
  token?: string;
  refresh?: string;
  status: number;
  code?: string;
}

function record(calls: Call[]): AuthNetwork {
  let emit: (request: Request) => void = () => {};
  const context = {
    on: (_event: string, listener: (request: Request) => void) => {
      emit = listener;
    },
  } as unknown as BrowserContext;
  const network = new AuthNetwork(context, adapter);
  for (const call of calls) {
    const headers: Record<string, string | null> = {
      authorization: call.token ? `Bearer ${call.token}` : null,
      cookie: call.refresh ? `rt=${call.refresh}` : null,
    };
    const response = {
      status: () => call.status,
      headers: () => ({}),
      json: async () => (call.code ? { error: call.code } : {}),
    };
    emit({
      url: () => `http://app.test${call.path}`,
      method: () => call.method ?? "GET",
      headerValue: async (name: string) => headers[name] ?? null,
      response: async () => response,
    } as unknown as Request);
  }
  return network;
}

const state = {
  isNot: false,
  utils: { matcherHint: (name: string) => `expect(page).${name}()` },
} as unknown as ExpectMatcherState;

const expired = (token: string): Call => ({
  path: "/api/me",
  token,
  status: 401,
  code: "token_expired",
});
const ok = (token: string): Call => ({ path: "/api/me", token, status: 200 });
const refresh = (token: string, status = 200, code?: string): Call => ({
  method: "POST",
  path: "/auth/token",
  refresh: token,
  status,
  code,
});

describe("toHaveRefreshedOnce", () => {
  it("passes on one successful refresh between the 401s and their retries", async () => {
    const network = record([
      expired(jwt("a")),
      expired(jwt("a")),
      refresh("r1"),
      ok(jwt("b")),
      ok(jwt("b")),
    ]);
    const report = await tokenKitMatchers.toHaveRefreshedOnce.call(state, network);
    expect(report.pass).toBe(true);
  });

  it("fails on a second refresh, names it, and marks it in the numbered log", async () => {
    const network = record([
      expired(jwt("a")),
      expired(jwt("a")),
      refresh("r1"),
      ok(jwt("b")),
      refresh("r2"),
      ok(jwt("c")),
    ]);
    const report = await tokenKitMatchers.toHaveRefreshedOnce.call(state, network);
    expect(report.pass).toBe(false);
    const message = report.message();
    expect(message).toContain(
      "Expected exactly one refresh, saw 2. Request #5 POST /auth/token (refresh token 2) → 200 broke the flow: a second refresh.",
    );
    expect(message).toContain("  → #5 POST /auth/token (refresh token 2) → 200");
    expect(message).toContain("    #1 GET /api/me (token 1) → 401 token_expired");
  });

  it("fails on none, and on one that was refused", async () => {
    const none = await tokenKitMatchers.toHaveRefreshedOnce.call(state, record([ok(jwt("a"))]));
    expect(none.message()).toContain("Expected exactly one refresh, saw none.");
    const refused = await tokenKitMatchers.toHaveRefreshedOnce.call(
      state,
      record([expired(jwt("a")), refresh("r1", 401, "refresh_reused")]),
    );
    expect(refused.pass).toBe(false);
    expect(refused.message()).toContain(
      "The one refresh was refused: request #2 POST /auth/token (refresh token 1) → 401 refresh_reused.",
    );
  });
});

describe("toHaveNoAuthErrors", () => {
  it("passes when every 401 was retried with a new token and the retry succeeded", async () => {
    const network = record([expired(jwt("a")), refresh("r1"), ok(jwt("b"))]);
    expect((await tokenKitMatchers.toHaveNoAuthErrors.call(state, network)).pass).toBe(true);
  });

  it("names the refused refresh first, before the 401s it left unretried", async () => {
    const network = record([
      expired(jwt("a")),
      expired(jwt("a")),
      refresh("r1", 401, "session_revoked"),
    ]);
    const report = await tokenKitMatchers.toHaveNoAuthErrors.call(state, network);
    expect(report.message()).toContain(
      "Request #3 POST /auth/token (refresh token 1) → 401 session_revoked broke the flow: the refresh was refused.",
    );
  });

  it("names a 401 that was never retried, and a retry that failed too", async () => {
    const never = await tokenKitMatchers.toHaveNoAuthErrors.call(
      state,
      record([ok(jwt("a")), expired(jwt("a"))]),
    );
    expect(never.message()).toContain(
      "Request #2 GET /api/me (token 1) → 401 token_expired broke the flow: it answered 401 and was never retried",
    );
    const failedRetry = await tokenKitMatchers.toHaveNoAuthErrors.call(
      state,
      record([expired(jwt("a")), refresh("r1"), { ...expired(jwt("b")), code: "invalid_token" }]),
    );
    expect(failedRetry.message()).toContain(
      "broke the flow: its retry failed too (#3 GET /api/me (token 2) → 401 invalid_token)",
    );
  });
});

describe("the trace", () => {
  it("decodes access tokens, fingerprints refresh tokens, and holds no raw token", async () => {
    const network = record([expired(jwt("a")), refresh("opaque-refresh-secret"), ok(jwt("b"))]);
    const trace = await network.trace();
    const text = JSON.stringify(trace);
    expect(text).not.toContain(jwt("a"));
    expect(text).not.toContain("opaque-refresh-secret");
    expect(trace[0]?.accessToken).toMatchObject({ ref: "token 1", claims: { sub: "a" } });
    expect(trace[1]?.refreshToken).toEqual({
      ref: "refresh token 1",
      sha256: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(trace[2]?.accessToken?.ref).toBe("token 2");
  });
});
