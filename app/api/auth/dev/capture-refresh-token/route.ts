import { NextResponse } from "next/server";
import { loadDevScenarios } from "@/lib/dev/gate";
import { defineRoute } from "@/lib/http/route";

/**
 * POST /api/auth/dev/capture-refresh-token (Bearer + refresh cookie) → { captureId, generation,
 * expiresAt }: the server keeps the cookie's current value for a few minutes, as a thief's copy;
 * the page gets only an id. 404 unless the scenarios are on (lib/dev/gate.ts).
 */
export const POST = defineRoute(
  { auth: "bearer+refresh-cookie", dev: "scenarios" },
  async ({ claims, refreshToken }) => {
    const { captureRefreshToken } = await loadDevScenarios();
    return NextResponse.json(await captureRefreshToken(refreshToken, claims), { status: 201 });
  },
);
