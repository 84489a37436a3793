import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { withErrorHandling } from "@/lib/http/respond";

/**
 * GET /api/whoami (Bearer) → { userId, sessionId, accessTokenExpiresAt }: who the
 * access token says the caller is, from the verified token alone (no database
 * read). The cheapest protected route, so the benchmark measures the cost of
 * authentication itself against /api/health.
 */
export const GET = withErrorHandling(async (request) => {
  const { sub, sid, exp } = await authenticateRequest(request);
  return NextResponse.json({
    userId: sub,
    sessionId: sid,
    accessTokenExpiresAt: new Date(exp * 1000).toISOString(),
  });
});
