import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { describeSession } from "@/lib/auth/session-family";
import { withErrorHandling } from "@/lib/http/respond";

/**
 * GET /api/auth/sessions/current (Bearer) → { session }: the server's view of the session the
 * access token names (`sid`): times, revocation, policy, and its refresh-token family as a tree of
 * states. Never a token or a hash. Answers for a revoked session too, while the access token lives.
 */
export const GET = withErrorHandling(async (request) => {
  const { sub: userId, sid } = await authenticateRequest(request);
  return NextResponse.json({ session: await describeSession(userId, sid) });
});
