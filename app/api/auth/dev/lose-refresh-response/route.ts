import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { readRefreshCookie } from "@/lib/auth/cookies";
import { assertDevScenariosEnabled, rotateLosingTheAnswer } from "@/lib/auth/dev-scenarios";
import { withErrorHandling } from "@/lib/http/respond";

/**
 * POST /api/auth/dev/lose-refresh-response (Bearer + refresh cookie) → { spentGeneration,
 * headGeneration }: rotates the refresh token for real, then answers WITHOUT the new cookie or
 * access token, as if the refresh answer was lost on the network. The browser keeps the old
 * cookie; its next refresh lands in the grace window. 404 unless AUTH_DEV_SCENARIOS=1.
 */
export const POST = withErrorHandling(async (request) => {
  assertDevScenariosEnabled();
  const claims = await authenticateRequest(request);
  return NextResponse.json(await rotateLosingTheAnswer(readRefreshCookie(request), claims));
});
