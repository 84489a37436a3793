import { setDeviceCookie } from "@/lib/auth/device-cookie";
import { getClientInfo } from "@/lib/http/client-info";
import { defineRoute } from "@/lib/http/route";
import { sessionResponse } from "@/lib/http/session-response";
import { signUp } from "@/lib/sign-up";
import { registerSchema } from "@/lib/validation/auth";

/**
 * POST /api/auth/register {email, password, name?} → 201 session body + refresh cookie + the new
 * account's device cookie (lib/auth/device-cookie.ts).
 */
export const POST = defineRoute(
  { auth: "none", body: registerSchema },
  async ({ request, body }) => {
    const response = await sessionResponse(
      request,
      await signUp(body, getClientInfo(request)),
      201,
    );
    await setDeviceCookie(response, request, body.email);
    return response;
  },
);
