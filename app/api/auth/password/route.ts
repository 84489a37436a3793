import { changePassword } from "@/lib/auth/accounts";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { readJsonBody } from "@/lib/http/body";
import { getClientInfo } from "@/lib/http/client-info";
import { withErrorHandling } from "@/lib/http/respond";
import { sessionResponse } from "@/lib/http/session-response";
import { changePasswordSchema } from "@/lib/validation/auth";

/**
 * POST /api/auth/password (Bearer) {currentPassword, newPassword} → 200 the login session body +
 * `revokedSessions`, and a new refresh cookie. Every session of the user ends, the caller's
 * included; the caller continues in a new one (lib/auth/accounts.ts). 401 `session_revoked`
 * when the caller's session is not live; 403 `invalid_current_password`; 429
 * `too_many_attempts` (shared with login); 503 `server_busy`.
 */
export const POST = withErrorHandling(async (request) => {
  const { sub, sid } = await authenticateRequest(request);
  const input = await readJsonBody(request, changePasswordSchema);
  const { revokedSessions, ...issued } = await changePassword(
    { sub, sid },
    input,
    getClientInfo(request),
  );
  return sessionResponse(request, issued, 200, { revokedSessions });
});
