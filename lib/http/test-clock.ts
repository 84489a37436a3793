import "server-only";

import { ERROR_CODE, HEADER_NAME } from "@/lib/contract";
import { getEnv } from "@/lib/env";
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
 * The clock offset an end-to-end test asks for, in milliseconds (0 when the
 * header is absent). Refused with 400 unless AUTH_TEST_CLOCK=1, and
 * AUTH_TEST_CLOCK=1 itself is refused at start unless APP_URL is a loopback
 * address (lib/env.ts), so no real user can move a deployed server's time.
 *
 * @example
 * const offsetMs = readTestClockOffset(request); // "X-Test-Clock-Offset: 360" → 360000
 */
export function readTestClockOffset(request: Request): number {
  const header = request.headers.get(TEST_CLOCK_HEADER);
  if (header === null) return 0;
  if (getEnv().AUTH_TEST_CLOCK !== "1") throw new TestClockDisabled();
  const seconds = Number(header);
  if (!/^-?\d+$/.test(header.trim()) || Math.abs(seconds) > MAX_TEST_CLOCK_OFFSET_SECONDS) {
    throw new InvalidRequest(undefined, {
      [TEST_CLOCK_HEADER]: ["Must be a whole number of seconds within a year."],
    });
  }
  return seconds * 1000;
}
