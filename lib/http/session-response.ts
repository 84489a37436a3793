import "server-only";

import { NextResponse } from "next/server";
import { toPublicUser } from "@/lib/auth/accounts";
import { setRefreshCookie } from "@/lib/auth/cookies";
import { signAccessTokenForSession } from "@/lib/auth/session-policy";
import type { IssuedRefreshToken } from "@/lib/auth/sessions";
import type { SessionBody } from "@/lib/contract";

/**
 * The answer to register, login, refresh and password change: a new access token in the body
 * and the (new) refresh token in its cookie. `extra` adds fields to the body (password change:
 * `revokedSessions`).
 */
export async function sessionResponse<Extra extends Record<string, unknown> = Record<never, never>>(
  request: Request,
  issued: IssuedRefreshToken,
  status: 200 | 201 = 200,
  extra?: Extra,
): Promise<NextResponse<SessionBody & Extra>> {
  // The session's lifetime: the server default, or shorter from the inspector's policy panel.
  const access = await signAccessTokenForSession({
    userId: issued.user.id,
    session: issued.session,
  });
  const response = NextResponse.json<SessionBody & Extra>(
    {
      ...(extra as Extra),
      user: toPublicUser(issued.user),
      accessToken: access.accessToken,
      accessTokenExpiresAt: access.expiresAt.toISOString(),
      accessTokenExpiresIn: access.expiresIn,
    },
    { status },
  );
  setRefreshCookie(response, request, issued.refreshToken, issued.session.absoluteExpiresAt);
  return response;
}
