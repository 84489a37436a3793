import { verifyDpopProof, withDpopNonce } from "@/lib/auth/dpop";
import { setDeviceCookie } from "@/lib/auth/device-cookie";
import { getClientInfo } from "@/lib/http/client-info";
import { defineRoute } from "@/lib/http/route";
import { sessionResponse } from "@/lib/http/session-response";
import { signUp } from "@/lib/sign-up";
import { registerSchema } from "@/lib/validation/auth";

/**
 * POST /api/auth/register {email, password, name?} + DPoP proof → 201 session body + refresh
 * cookie, the session bound to the proof's key (as login), and the new account's device cookie
 * (lib/auth/device-cookie.ts).
 */
export const POST = defineRoute(
  { auth: "none", body: registerSchema },
  async ({ request, body }) => {
    const proof = await verifyDpopProof(request, { nonce: "ignored" });
    const client = { ...getClientInfo(request), dpopJkt: proof?.jkt ?? null };
    const response = await sessionResponse(request, await signUp(body, client), 201);
    await setDeviceCookie(response, request, body.email);
    return withDpopNonce(response);
  },
);
