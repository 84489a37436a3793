import { NextResponse } from "next/server";
import { z } from "zod";
import { loadDevScenarios } from "@/lib/dev/gate";
import { defineRoute } from "@/lib/http/route";

const replaySchema = z.strictObject({ captureId: z.string().min(1).max(64) });

/**
 * POST /api/auth/dev/replay-refresh-token (Bearer) {captureId} → { capturedGeneration, verdict,
 * session }: presents a captured refresh token to the real rotation code, as a thief would, and
 * reports what the thief was told (accepted inside the grace window; otherwise
 * `refresh_token_reused`, and the family is revoked), with the server's view of the session right
 * after. Sets no cookie. 404 unless the scenarios are on (lib/dev/gate.ts).
 */
export const POST = defineRoute(
  { auth: "bearer", body: replaySchema, dev: "scenarios" },
  async ({ claims, body }) => {
    const { replayCapturedRefreshToken } = await loadDevScenarios();
    return NextResponse.json(await replayCapturedRefreshToken(body.captureId, claims));
  },
);
