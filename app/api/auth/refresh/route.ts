import { RefreshCookieAmbiguous, clearRefreshCookie } from "@/lib/auth/cookies";
import { verifyDpopProof, withDpopNonce } from "@/lib/auth/dpop";
import { RefreshTokenMissing, RefreshTokenSuperseded, UseDpopNonce } from "@/lib/auth/errors";
import { rotateRefreshToken } from "@/lib/auth/sessions";
import { defineRoute } from "@/lib/http/route";
import { sessionResponse } from "@/lib/http/session-response";

/**
 * POST /api/auth/refresh (refresh cookie + DPoP proof by the session's key, lib/auth/dpop.ts) →
 * 200 session body + rotated cookie + the next `DPoP-Nonce`. Any refusal answers 401 with its
 * reason and clears the cookie (unless none was sent, or the answer is `use_dpop_nonce`, which
 * only asks the client to sign again), so a browser never keeps presenting a token that cannot
 * work. 409 `refresh_token_superseded` (a late duplicate of this device's own request,
 * lib/auth/sessions.ts) keeps the cookie: the browser already holds the newer one. A form or text
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
      // Nor for `use_dpop_nonce`: the proof is re-signed with the nonce and sent again.
      // IMPORTANT: nor for `refresh_token_superseded`: that answer reaches the browser after it
      // stored a newer cookie, and clearing would delete that one.
      if (!(
        error instanceof RefreshTokenMissing ||
        error instanceof RefreshCookieAmbiguous ||
        error instanceof UseDpopNonce ||
        error instanceof RefreshTokenSuperseded
      )) {
        clearRefreshCookie(response, request);
      }
      return response;
    },
  },
  async ({ request, refreshToken }) => {
    // The cookie first: without one there is nothing a proof could unlock.
    if (!refreshToken) throw new RefreshTokenMissing();
    const proof = await verifyDpopProof(request, { nonce: "required" });
    return withDpopNonce(
      await sessionResponse(request, await rotateRefreshToken(refreshToken, proof)),
    );
  },
);
