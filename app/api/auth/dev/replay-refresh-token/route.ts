import { NextResponse } from "next/server";
import { z } from "zod";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { assertDevScenariosEnabled, replayCapturedRefreshToken } from "@/lib/auth/dev-scenarios";
import { describeSession } from "@/lib/auth/session-family";
import { readJsonBody } from "@/lib/http/body";
import { withErrorHandling } from "@/lib/http/respond";

const replaySchema = z.strictObject({ captureId: z.string().min(1).max(64) });

/**
 * POST /api/auth/dev/replay-refresh-token (Bearer) {captureId} → { capturedGeneration, verdict,
 * session }: presents a captured refresh token to the real rotation code, as a thief would, and
 * reports what the thief was told (accepted inside the grace window; otherwise
 * `refresh_token_reused`, and the family is revoked), with the server's view of the session right
 * after. Sets no cookie. 404 unless AUTH_DEV_SCENARIOS=1.
 */
export const POST = withErrorHandling(async (request) => {
  assertDevScenariosEnabled();
  const claims = await authenticateRequest(request);
  const { captureId } = await readJsonBody(request, replaySchema);
  const replay = await replayCapturedRefreshToken(captureId, claims);
  return NextResponse.json({ ...replay, session: await describeSession(claims.sub, claims.sid) });
});
