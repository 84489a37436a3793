import { loginUser } from "@/lib/auth/accounts";
import { readDeviceId, setDeviceCookie } from "@/lib/auth/device-cookie";
import { getClientInfo } from "@/lib/http/client-info";
import { defineRoute } from "@/lib/http/route";
import { sessionResponse } from "@/lib/http/session-response";
import { loginSchema } from "@/lib/validation/auth";

/**
 * POST /api/auth/login {email, password} → 200 session body + refresh cookie + this account's
 * device cookie (lib/auth/device-cookie.ts: a browser that has signed in before is counted on
 * its own throttle counter, not the account's).
 */
export const POST = defineRoute({ auth: "none", body: loginSchema }, async ({ request, body }) => {
  const deviceId = await readDeviceId(request, body.email);
  const response = await sessionResponse(
    request,
    await loginUser(body, getClientInfo(request), deviceId),
  );
  await setDeviceCookie(response, request, body.email);
  return response;
});
