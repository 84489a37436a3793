import { NextResponse } from "next/server";
import { clearRefreshCookie } from "@/lib/auth/cookies";
import { revokeSessionByRefreshToken } from "@/lib/auth/sessions";
import { defineRoute } from "@/lib/http/route";

/**
 * POST /api/auth/logout → 204; revokes this session (its whole token family) and clears the cookie.
 * 415 for a form or text body, 400 `refresh_cookie_ambiguous` for two refresh cookies: then
 * nothing is revoked and no cookie is cleared.
 */
export const POST = defineRoute(
  { auth: "refresh-cookie", body: "none" },
  async ({ request, refreshToken }) => {
    await revokeSessionByRefreshToken(refreshToken);
    const response = new NextResponse(null, { status: 204 });
    clearRefreshCookie(response, request);
    return response;
  },
);
