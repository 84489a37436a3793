import { RefreshCookieAmbiguous, clearRefreshCookie, readRefreshCookie } from "@/lib/auth/cookies";
import { RefreshTokenMissing } from "@/lib/auth/errors";
import { rotateRefreshToken } from "@/lib/auth/sessions";
import { AppError } from "@/lib/errors";
import { refuseNonJsonBody } from "@/lib/http/body";
import { appErrorResponse, withErrorHandling } from "@/lib/http/respond";
import { sessionResponse } from "@/lib/http/session-response";

/**
 * POST /api/auth/refresh (refresh cookie only) → 200 session body + rotated
 * cookie. Any refusal answers 401 with its reason and clears the cookie (unless
 * none was sent), so a browser never keeps presenting a token that cannot work. A form or text
 * body is refused with 415, two refresh cookies with 400 `refresh_cookie_ambiguous`; neither
 * changes anything.
 */
export const POST = withErrorHandling(async (request) => {
  refuseNonJsonBody(request);
  try {
    const rotated = await rotateRefreshToken(readRefreshCookie(request));
    return await sessionResponse(request, rotated);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const response = appErrorResponse(error);
    // IMPORTANT: with no cookie sent there is nothing to clear, and clearing anyway would race a
    // login in flight: a late "missing" answer would delete the cookies that login just set.
    // Nor when the cookie is ambiguous: our clearing could only remove our own host-only cookie
    // and leave the planted one (set for a parent domain) in place.
    if (!(error instanceof RefreshTokenMissing || error instanceof RefreshCookieAmbiguous)) {
      clearRefreshCookie(response, request);
    }
    return response;
  }
});
