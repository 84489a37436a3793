import { loginUser } from "@/lib/auth/accounts";
import { readJsonBody } from "@/lib/http/body";
import { getClientInfo } from "@/lib/http/client-info";
import { withErrorHandling } from "@/lib/http/respond";
import { sessionResponse } from "@/lib/http/session-response";
import { loginSchema } from "@/lib/validation/auth";

/** POST /api/auth/login {email, password} → 200 session body + refresh cookie. */
export const POST = withErrorHandling(async (request) => {
  const input = await readJsonBody(request, loginSchema);
  const issued = await loginUser(input, getClientInfo(request));
  return sessionResponse(request, issued);
});
