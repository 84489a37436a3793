import { RefreshCookieAmbiguous, clearRefreshCookie } from "@/lib/auth/cookies";
import { RefreshTokenMissing } from "@/lib/auth/errors";
import { rotateRefreshToken } from "@/lib/auth/sessions";
import { defineRoute } from "@/lib/http/route";
import { sessionResponse } from "@/lib/http/session-response";

/**
 * POST /api/auth/refresh (refresh cookie only) → 200 session body + rotated
 * cookie. Any refusal answers 401 with its reason and clears the cookie (unless
 * none was sent), so a browser never keeps presenting a token that cannot work. A form or text
 * body is refused with 415, two refresh cookies with 400 `refresh_cookie_ambiguous`; neither
 * changes anything (both are refusals of the declared steps, which never reach `onError`).
 */
export const POST = defineRoute(
  {
    auth: "refresh-cookie",
    body: "none",
    onError: (error, response, request) => {
      // IMPORTANT: with no cookie sent there is nothing to clear, and clearing anyway would race a
      // login in flight: a late "missing" answer would delete the cookies that login just set.
      // Nor when the cookie is ambiguous: our clearing could only remove our own host-only cookie
      // and leave the planted one (set for a parent domain) in place.
      if (!(error instanceof RefreshTokenMissing || error instanceof RefreshCookieAmbiguous)) {
        clearRefreshCookie(response, request);
      }
      return response;
    },
  },
  async ({ request, refreshToken }) =>
    sessionResponse(request, await rotateRefreshToken(refreshToken)),
);
