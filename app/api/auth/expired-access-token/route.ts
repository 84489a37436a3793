import { NextResponse } from "next/server";
import { signExpiredAccessToken } from "@/lib/auth/expired-access-token";
import { defineRoute } from "@/lib/http/route";

/**
 * POST /api/auth/expired-access-token (Bearer) → { accessToken, accessTokenExpiresAt }: a real
 * access token for the caller's own session that has already expired, for the dashboard's and the
 * inspector's "Expire my access token now".
 *
 * No flag gates it, on any deployment (no `dev:` in its declaration): a token that the verifier
 * refuses grants nothing, it names only the session whose valid token the caller already
 * presented, and the caller could get the same refusal by waiting out its own token. What it buys
 * the learner is the 401 → refresh → retry path on demand, which proactive refresh otherwise
 * hides. Same-origin only (defineRoute's CSRF check), like every POST.
 */
export const POST = defineRoute({ auth: "bearer" }, async ({ claims }) => {
  const expired = await signExpiredAccessToken(claims);
  return NextResponse.json({
    accessToken: expired.accessToken,
    accessTokenExpiresAt: expired.expiresAt.toISOString(),
  });
});
