import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { readRefreshCookie } from "@/lib/auth/cookies";
import { assertDevScenariosEnabled, captureRefreshToken } from "@/lib/auth/dev-scenarios";
import { withErrorHandling } from "@/lib/http/respond";

/**
 * POST /api/auth/dev/capture-refresh-token (Bearer + refresh cookie) → { captureId, generation,
 * expiresAt }: the server keeps the cookie's current value for a few minutes, as a thief's copy;
 * the page gets only an id. 404 unless AUTH_DEV_SCENARIOS=1 (lib/auth/dev-scenarios.ts).
 */
export const POST = withErrorHandling(async (request) => {
  assertDevScenariosEnabled();
  const claims = await authenticateRequest(request);
  const capture = await captureRefreshToken(readRefreshCookie(request), claims);
  return NextResponse.json(capture, { status: 201 });
});
