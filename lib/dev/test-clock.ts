import "server-only";

/**
 * The end-to-end tests' server clock: `X-Test-Clock-Offset: <seconds>` moves "now" for the one
 * request that carries it (lib/auth/clock.ts holds the offset in AsyncLocalStorage for that
 * request). Reached only through lib/dev/gate.ts, which honours the header only with
 * AUTH_TEST_CLOCK=1 on a local server; AUTH_TEST_CLOCK=1 itself is refused at start unless the
 * server is local (lib/env.ts), so no real user can move a deployed server's time.
 */
import { ERROR_CODE, HEADER_NAME } from "@/lib/contract";
import { defineAppError } from "@/lib/errors";
import { InvalidRequest } from "@/lib/http/errors";

export const TEST_CLOCK_HEADER = HEADER_NAME.testClockOffset;
/** Far enough for any lifetime this app has (the absolute session lifetime defaults to 30 days). */
const MAX_TEST_CLOCK_OFFSET_SECONDS = 366 * 24 * 60 * 60;

export class TestClockDisabled extends defineAppError(
  ERROR_CODE.testClockDisabled,
  400,
  `${TEST_CLOCK_HEADER} is only honoured when the server runs with AUTH_TEST_CLOCK=1.`,
) {}

/**
 * The header's value in milliseconds. Throws InvalidRequest (400) unless it is a whole number of
 * seconds within a year.
 *
 * @example
 * parseTestClockOffset("360"); // 360000
 */
export function parseTestClockOffset(header: string): number {
  const seconds = Number(header);
  if (!/^-?\d+$/.test(header.trim()) || Math.abs(seconds) > MAX_TEST_CLOCK_OFFSET_SECONDS) {
    throw new InvalidRequest(undefined, {
      [TEST_CLOCK_HEADER]: ["Must be a whole number of seconds within a year."],
    });
  }
  return seconds * 1000;
}
