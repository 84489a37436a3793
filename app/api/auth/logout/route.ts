import { NextResponse } from "next/server";
import { clearRefreshCookie, readRefreshCookie } from "@/lib/auth/cookies";
import { revokeSessionByRefreshToken } from "@/lib/auth/sessions";
import { refuseNonJsonBody } from "@/lib/http/body";
import { withErrorHandling } from "@/lib/http/respond";

/**
 * POST /api/auth/logout → 204; revokes this session (its whole token family) and clears the cookie.
 * 415 for a form or text body, 400 `refresh_cookie_ambiguous` for two refresh cookies: then
 * nothing is revoked and no cookie is cleared.
 */
export const POST = withErrorHandling(async (request) => {
  refuseNonJsonBody(request);
  await revokeSessionByRefreshToken(readRefreshCookie(request));
  const response = new NextResponse(null, { status: 204 });
  clearRefreshCookie(response, request);
  return response;
});
