import { NextResponse } from "next/server";
import { defineRoute } from "@/lib/http/route";

/**
 * GET /api/whoami (Bearer) → { userId, sessionId, accessTokenExpiresAt }: who the
 * access token says the caller is, from the verified token alone (no database
 * read). The cheapest protected route, so the benchmark measures the cost of
 * authentication itself against /api/health.
 */
export const GET = defineRoute({ auth: "bearer" }, ({ claims }) =>
  NextResponse.json({
    userId: claims.sub,
    sessionId: claims.sid,
    accessTokenExpiresAt: new Date(claims.exp * 1000).toISOString(),
  }),
);
