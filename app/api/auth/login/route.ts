import { loginUser } from "@/lib/auth/accounts";
import { verifyDpopProof, withDpopNonce } from "@/lib/auth/dpop";
import { getClientInfo } from "@/lib/http/client-info";
import { defineRoute } from "@/lib/http/route";
import { sessionResponse } from "@/lib/http/session-response";
import { loginSchema } from "@/lib/validation/auth";

/**
 * POST /api/auth/login {email, password} + DPoP proof → 200 session body + refresh cookie, the
 * session bound to the proof's key, and a `DPoP-Nonce` for the first refresh. The proof is checked
 * before the password, so a request without one costs no hashing.
 */
export const POST = defineRoute({ auth: "none", body: loginSchema }, async ({ request, body }) => {
  const proof = await verifyDpopProof(request, { nonce: "ignored" });
  const client = { ...getClientInfo(request), dpopJkt: proof?.jkt ?? null };
  return withDpopNonce(await sessionResponse(request, await loginUser(body, client)));
});
