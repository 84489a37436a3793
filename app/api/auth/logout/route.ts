import { NextResponse } from "next/server";
import { clearRefreshCookie, readRefreshCookie } from "@/lib/auth/cookies";
import { revokeSessionByRefreshToken } from "@/lib/auth/sessions";
import { withErrorHandling } from "@/lib/http/respond";

/** POST /api/auth/logout → 204; revokes this session (its whole token family) and clears the cookie. */
export const POST = withErrorHandling(async (request) => {
  await revokeSessionByRefreshToken(readRefreshCookie(request));
  const response = new NextResponse(null, { status: 204 });
  clearRefreshCookie(response, request);
  return response;
});
