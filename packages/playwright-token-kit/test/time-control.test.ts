/**
 * The kit's clock (src/time-control.ts), outside a browser: the order of its two moves, the
 * header it sends, how far `expireAccessToken` moves the server for a real signed token, and what
 * an adapter without a server clock refuses.
 */
import type { BrowserContext } from "@playwright/test";
import { SignJWT, generateKeyPair } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { TokenKitAdapter } from "../src/adapter";
import { readJwtClaims } from "../src/jwt";
import { TimeControl, toMilliseconds } from "../src/time-control";

const withClock = { expiry: { clockHeader: "x-test-clock-offset" } } as TokenKitAdapter;
const shortLived = {
  name: "short-lived",
  expiry: { shortTtl: { probe: { path: "/api/me" } } },
} as TokenKitAdapter;

/** A stand-in for a browser context that writes down what the kit asked of it. */
function recordingContext(): { context: BrowserContext; calls: string[] } {
  const calls: string[] = [];
  const context = {
    clock: {
      install: async () => void calls.push("clock.install"),
      fastForward: async (ms: number) => void calls.push(`clock.fastForward ${ms}`),
    },
    setExtraHTTPHeaders: async (headers: Record<string, string>) =>
      void calls.push(`headers ${JSON.stringify(headers)}`),
  };
  return { context: context as unknown as BrowserContext, calls };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("toMilliseconds", () => {
  it.each([
    [1500, 1500],
    ["250ms", 250],
    ["90s", 90_000],
    ["6m", 360_000],
    ["2h", 7_200_000],
    ["8d", 691_200_000],
    ["1.5m", 90_000],
  ] as const)("%s → %d", (duration, ms) => {
    expect(toMilliseconds(duration)).toBe(ms);
  });

  it("refuses what it cannot read", () => {
    expect(() => toMilliseconds("6 minutes" as never)).toThrow('Not a duration: "6 minutes"');
  });
});

describe("TimeControl", () => {
  it("installs the browser clock, and moves the server before the browser", async () => {
    const { context, calls } = recordingContext();
    const time = await TimeControl.install(context, withClock);

    await time.advance("6m");
    await time.advance("90s");

    expect(calls).toEqual([
      "clock.install",
      'headers {"x-test-clock-offset":"360"}',
      "clock.fastForward 360000",
      'headers {"x-test-clock-offset":"450"}',
      "clock.fastForward 90000",
    ]);
    expect(time.serverOffsetSeconds).toBe(450);
    expect(time.headers()).toEqual({ "x-test-clock-offset": "450" });
  });

  it("keeps the context's own extra headers beside the offset (setExtraHTTPHeaders replaces)", async () => {
    const { context, calls } = recordingContext();
    const time = await TimeControl.install(context, withClock, {
      baseHeaders: { "x-team-header": "kept" },
    });

    await time.advanceServer("1m");

    expect(calls.at(-1)).toBe('headers {"x-team-header":"kept","x-test-clock-offset":"60"}');
    expect(time.headers()).toEqual({ "x-test-clock-offset": "60" });
  });

  it("sends no header until the server has moved", async () => {
    const { context } = recordingContext();
    const time = await TimeControl.install(context, withClock);
    expect(time.headers()).toEqual({});
  });

  it("moves the server alone with advanceServer, in whole seconds and only forward", async () => {
    const { context, calls } = recordingContext();
    const time = await TimeControl.install(context, withClock);

    await time.advanceServer("2h");
    await expect(time.advanceServer(1500)).rejects.toThrow("whole seconds");
    await expect(time.advanceServer(-1000)).rejects.toThrow("whole seconds");

    expect(calls).toEqual(["clock.install", 'headers {"x-test-clock-offset":"7200"}']);
  });

  it("expireAccessToken moves the server one second past a real token's exp", async () => {
    vi.useFakeTimers({ now: new Date("2026-11-27T12:00:00.000Z"), toFake: ["Date"] });
    const { privateKey } = await generateKeyPair("EdDSA");
    const token = await new SignJWT({ sid: "s1" })
      .setProtectedHeader({ alg: "EdDSA" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    const { context } = recordingContext();
    const time = await TimeControl.install(context, withClock);

    await time.expireAccessToken(token);

    expect(time.serverOffsetSeconds).toBe(301);
    // Already past it: the server moves one more second only.
    await time.expireAccessToken(token);
    expect(time.serverOffsetSeconds).toBe(302);
  });

  it("refuses a token without exp, and a string that is not a JWT", async () => {
    const { context } = recordingContext();
    const time = await TimeControl.install(context, withClock);
    const noExp = `e30.${Buffer.from(JSON.stringify({ sub: "u" })).toString("base64url")}.sig`;

    await expect(time.expireAccessToken(noExp)).rejects.toThrow("no numeric exp");
    expect(() => readJwtClaims("not-a-jwt")).toThrow("Not a JWT");
  });

  it("without a server clock, refuses to move the server and says what to use instead", async () => {
    const { context, calls } = recordingContext();
    const time = await TimeControl.install(context, shortLived);

    await expect(time.advance("6m")).rejects.toThrow(
      "short-lived has no server clock the kit can move",
    );
    expect(calls).toEqual(["clock.install"]);
    expect(time.headers()).toEqual({});
  });

  it("expireAccessToken with nothing to expire says so", async () => {
    const { context } = recordingContext();
    const time = await TimeControl.install(context, withClock);
    await expect(time.expireAccessToken()).rejects.toThrow("no access token was given");
  });
});
