import { changePassword } from "@/lib/auth/accounts";
import { getClientInfo } from "@/lib/http/client-info";
import { defineRoute } from "@/lib/http/route";
import { sessionResponse } from "@/lib/http/session-response";
import { changePasswordSchema } from "@/lib/validation/auth";

/**
 * POST /api/auth/password (Bearer) {currentPassword, newPassword} → 200 the login session body +
 * `revokedSessions`, and a new refresh cookie. Every session of the user ends, the caller's
 * included; the caller continues in a new one (lib/auth/accounts.ts). 401 `session_revoked`
 * when the caller's session is not live; 403 `invalid_current_password`; 429
 * `too_many_attempts` (this session's own limit, lib/auth/throttle.ts); 503 `server_busy`.
 */
export const POST = defineRoute(
  { auth: "bearer", session: "live", body: changePasswordSchema },
  async ({ request, claims, body }) => {
    const { revokedSessions, ...issued } = await changePassword(
      claims,
      body,
      getClientInfo(request),
    );
    return sessionResponse(request, issued, 200, { revokedSessions });
  },
);
