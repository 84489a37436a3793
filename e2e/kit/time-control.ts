/**
 * One clock for the browser and the server, so a test can say "six minutes later" and watch what
 * the app does, without waiting six minutes.
 *
 * - The browser: Playwright's clock (`context.clock`), installed before the first page loads.
 *   Time still flows normally; `advance` jumps it forward, firing each timer that came due once
 *   (`clock.fastForward`), as a laptop waking from sleep would.
 * - The server: the test-clock header (app.ts `TEST_CLOCK_HEADER`), sent with every request of
 *   the context (`context.setExtraHTTPHeaders`). The server reads "now" as its own time plus that
 *   offset, for that request only, so tests running side by side never move each other's clock.
 *
 * IMPORTANT: the order inside `advance` matters. The server moves first, then the browser: a
 * timer that comes due in the jump (the wrapper's proactive refresh) sends its request with the
 * new offset already on it. The other way round, the refresh would reach a server that still
 * lives in the past.
 *
 * `page.request` and `context.request` share the context's headers, so they move too. Requests of
 * a separate `APIRequestContext` (the `api` and `request` fixtures) live on the server's real
 * time unless they send `time.headers()`.
 */
import type { BrowserContext } from "@playwright/test";
import { TEST_CLOCK_HEADER } from "./app";

/** Milliseconds, or a count with a unit: `"90s"`, `"6m"`, `"2h"`, `"31d"`. */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h" | "d"}`;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * @example
 * toMilliseconds("6m"); // 360000
 * toMilliseconds(1500); // 1500
 */
export function toMilliseconds(duration: Duration): number {
  if (typeof duration === "number") return duration;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new Error(`Not a duration: "${duration}" (try "90s", "6m", "2h", "31d").`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export class TimeControl {
  private serverOffsetMs = 0;

  private constructor(
    private readonly context: BrowserContext,
    private readonly baseHeaders: Record<string, string>,
  ) {}

  /**
   * Installs Playwright's clock on `context`. Call it before the context opens its first page
   * (the `time` fixture does): a page that loaded earlier keeps the real clock.
   *
   * `baseHeaders`: the context's own extra headers (`use.extraHTTPHeaders`), kept on every
   * request. `setExtraHTTPHeaders` replaces the whole set, so the offset is sent beside them.
   */
  static async install(
    context: BrowserContext,
    baseHeaders: Record<string, string> = {},
  ): Promise<TimeControl> {
    await context.clock.install();
    return new TimeControl(context, baseHeaders);
  }

  /** How far the server's clock has been moved for this context, in whole seconds. */
  get serverOffsetSeconds(): number {
    return this.serverOffsetMs / 1000;
  }

  /** The header that puts another request (e.g. from an `APIRequestContext`) on the same time. */
  headers(): Record<string, string> {
    return this.serverOffsetMs === 0
      ? {}
      : { [TEST_CLOCK_HEADER]: String(this.serverOffsetSeconds) };
  }

  /**
   * Moves the browser and the server forward together. The page's timers that come due fire once
   * each, in order; its next requests reach a server that agrees about the time.
   *
   * @example
   * await time.advance("6m"); // a 5-minute access token has expired, on both sides
   */
  async advance(duration: Duration): Promise<void> {
    const ms = toMilliseconds(duration);
    await this.advanceServer(ms);
    await this.context.clock.fastForward(ms);
  }

  /**
   * Moves only the server forward. The page still believes its tokens are as fresh as before,
   * so the only way it can learn otherwise is the server's 401: the path a clock-skewed or
   * sleeping client takes.
   *
   * @example
   * await time.advanceServer("6m");
   * await dashboard.addNote("hi"); // 401 token_expired → refresh → retry
   */
  async advanceServer(duration: Duration): Promise<void> {
    const ms = toMilliseconds(duration);
    if (ms < 0 || ms % 1000 !== 0) {
      throw new Error(`The server clock moves forward in whole seconds; got ${ms} ms.`);
    }
    this.serverOffsetMs += ms;
    await this.context.setExtraHTTPHeaders({ ...this.baseHeaders, ...this.headers() });
  }

  /**
   * Moves the server just past `accessToken`'s `exp` (read from the token; not verified), and
   * leaves the browser's clock alone. The page keeps a token it thinks is fresh and the server
   * now refuses: the next call meets 401 token_expired.
   */
  async expireAccessToken(accessToken: string): Promise<void> {
    const { exp } = readJwtClaims(accessToken);
    if (typeof exp !== "number") throw new Error("The access token has no numeric exp claim.");
    const serverNowMs = Date.now() + this.serverOffsetMs;
    const untilExpiredMs = Math.max(0, exp * 1000 - serverNowMs);
    // Whole seconds, one more than needed: exp is compared with the server's clock in seconds.
    await this.advanceServer(Math.ceil(untilExpiredMs / 1000) * 1000 + 1000);
  }
}

/** The payload of a JWT, decoded without verifying anything (tests only read it). */
export function readJwtClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1];
  if (!payload) throw new Error("Not a JWT: expected three dot-separated parts.");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}
