import { loginUser } from "@/lib/auth/accounts";
import { getClientInfo } from "@/lib/http/client-info";
import { defineRoute } from "@/lib/http/route";
import { sessionResponse } from "@/lib/http/session-response";
import { loginSchema } from "@/lib/validation/auth";

/** POST /api/auth/login {email, password} → 200 session body + refresh cookie. */
export const POST = defineRoute({ auth: "none", body: loginSchema }, async ({ request, body }) =>
  sessionResponse(request, await loginUser(body, getClientInfo(request))),
);
