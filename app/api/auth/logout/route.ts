import { NextResponse } from "next/server";
import { clearRefreshCookie } from "@/lib/auth/cookies";
import { revokeSessionsByRefreshTokens } from "@/lib/auth/sessions";
import { defineRoute } from "@/lib/http/route";

/**
 * POST /api/auth/logout → 204, whatever refresh cookies came with it: ends the session each
 * refresh-cookie value names (its whole token family) and clears the cookie under each name the
 * app uses. A planted second cookie never blocks it (SECURITY.md, "planted cookies"). 415 for a
 * form or text body: nothing changes.
 */
export const POST = defineRoute(
  { auth: "refresh-cookies", body: "none" },
  async ({ request, refreshTokens }) => {
    await revokeSessionsByRefreshTokens(refreshTokens);
    const response = new NextResponse(null, { status: 204 });
    clearRefreshCookie(response, request);
    return response;
  },
);
