import { NextResponse } from "next/server";
import { clearRefreshCookie } from "@/lib/auth/cookies";
import { revokeSessionsByRefreshTokens } from "@/lib/auth/sessions";
import { defineRoute } from "@/lib/http/route";

/**
 * POST /api/auth/logout → 204, whatever cookies came with it: ends the session every refresh-cookie
 * value names (only the access token's user's sessions when a valid one is sent, every named one
 * otherwise) and clears the cookie under each name the app uses. A planted second cookie never
 * blocks it (SECURITY.md, "planted cookies"). 415 for a form or text body: nothing changes.
 */
export const POST = defineRoute(
  { auth: "refresh-cookies", body: "none" },
  async ({ request, refreshTokens, claims }) => {
    await revokeSessionsByRefreshTokens(refreshTokens, { userId: claims?.sub });
    const response = new NextResponse(null, { status: 204 });
    clearRefreshCookie(response, request);
    return response;
  },
);
