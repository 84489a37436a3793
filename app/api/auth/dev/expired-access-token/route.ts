import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { assertDevScenariosEnabled, signExpiredAccessToken } from "@/lib/auth/dev-scenarios";
import { withErrorHandling } from "@/lib/http/respond";

/**
 * POST /api/auth/dev/expired-access-token (Bearer) → { accessToken, accessTokenExpiresAt }: a
 * real access token for the caller's session that has already expired, for the inspector's
 * "Expire my access token now". 404 unless AUTH_DEV_SCENARIOS=1 (lib/auth/dev-scenarios.ts).
 */
export const POST = withErrorHandling(async (request) => {
  assertDevScenariosEnabled();
  const claims = await authenticateRequest(request);
  const expired = await signExpiredAccessToken(claims);
  return NextResponse.json({
    accessToken: expired.accessToken,
    accessTokenExpiresAt: expired.expiresAt.toISOString(),
  });
});
