import { registerUser } from "@/lib/auth/accounts";
import { readJsonBody } from "@/lib/http/body";
import { getClientInfo } from "@/lib/http/client-info";
import { withErrorHandling } from "@/lib/http/respond";
import { sessionResponse } from "@/lib/http/session-response";
import { registerSchema } from "@/lib/validation/auth";

/** POST /api/auth/register {email, password, name?} → 201 session body + refresh cookie. */
export const POST = withErrorHandling(async (request) => {
  const input = await readJsonBody(request, registerSchema);
  const issued = await registerUser(input, getClientInfo(request));
  return sessionResponse(request, issued, 201);
});
