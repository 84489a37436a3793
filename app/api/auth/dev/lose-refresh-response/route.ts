import { NextResponse } from "next/server";
import { loadDevScenarios } from "@/lib/dev/gate";
import { defineRoute } from "@/lib/http/route";

/**
 * POST /api/auth/dev/lose-refresh-response (Bearer + refresh cookie) → { spentGeneration,
 * headGeneration }: rotates the refresh token for real, then answers WITHOUT the new cookie or
 * access token, as if the refresh answer was lost on the network. The browser keeps the old
 * cookie; its next refresh lands in the grace window. 404 unless the scenarios are on
 * (lib/dev/gate.ts).
 */
export const POST = defineRoute(
  { auth: "bearer+refresh-cookie", dev: "scenarios" },
  async ({ claims, refreshToken }) => {
    const { rotateLosingTheAnswer } = await loadDevScenarios();
    return NextResponse.json(await rotateLosingTheAnswer(refreshToken, claims));
  },
);
