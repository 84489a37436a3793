import { getClientInfo } from "@/lib/http/client-info";
import { defineRoute } from "@/lib/http/route";
import { sessionResponse } from "@/lib/http/session-response";
import { signUp } from "@/lib/sign-up";
import { registerSchema } from "@/lib/validation/auth";

/** POST /api/auth/register {email, password, name?} → 201 session body + refresh cookie. */
export const POST = defineRoute({ auth: "none", body: registerSchema }, async ({ request, body }) =>
  sessionResponse(request, await signUp(body, getClientInfo(request)), 201),
);
