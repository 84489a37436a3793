import { loginUser } from "@/lib/auth/accounts";
import { verifyDpopProof, withDpopNonce } from "@/lib/auth/dpop";
import { readDeviceId, setDeviceCookie } from "@/lib/auth/device-cookie";
import { getClientInfo } from "@/lib/http/client-info";
import { defineRoute } from "@/lib/http/route";
import { sessionResponse } from "@/lib/http/session-response";
import { loginSchema } from "@/lib/validation/auth";

/**
 * POST /api/auth/login {email, password} + DPoP proof → 200 session body + refresh cookie, the
 * session bound to the proof's key, a `DPoP-Nonce` for the first refresh, and this account's
 * device cookie (lib/auth/device-cookie.ts: a browser that has signed in before is counted on
 * its own throttle counter, not the account's). The proof is checked before the password, so a
 * request without one costs no hashing.
 */
export const POST = defineRoute({ auth: "none", body: loginSchema }, async ({ request, body }) => {
  const proof = await verifyDpopProof(request, { nonce: "ignored" });
  const client = { ...getClientInfo(request), dpopJkt: proof?.jkt ?? null };
  const deviceId = await readDeviceId(request, body.email);
  const response = await sessionResponse(request, await loginUser(body, client, deviceId));
  await setDeviceCookie(response, request, body.email);
  return withDpopNonce(response);
});
