import { NextResponse } from "next/server";
import { changePassword } from "@/lib/auth/accounts";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { readJsonBody } from "@/lib/http/body";
import { withErrorHandling } from "@/lib/http/respond";
import { changePasswordSchema } from "@/lib/validation/auth";

/**
 * POST /api/auth/password (Bearer) {currentPassword, newPassword} → 200
 * { revokedSessions }. Every other session of the user is revoked; this one stays.
 */
export const POST = withErrorHandling(async (request) => {
  const { sub: userId, sid } = await authenticateRequest(request);
  const input = await readJsonBody(request, changePasswordSchema);
  const result = await changePassword(userId, sid, input);
  return NextResponse.json(result);
});
