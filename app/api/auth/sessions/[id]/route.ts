import { NextResponse } from "next/server";
import { describeSession } from "@/lib/auth/session-family";
import { revokeUserSession } from "@/lib/auth/sessions";
import { defineRoute } from "@/lib/http/route";
import { sessionParamsSchema } from "@/lib/validation/auth";

/**
 * GET /api/auth/sessions/{id} (Bearer) → { session }: the server's view of one of the caller's
 * sessions, live or ended, with its refresh-token family (lib/auth/session-family.ts). 404
 * `session_not_found` for ids that are not the caller's.
 */
export const GET = defineRoute(
  { auth: "bearer", params: sessionParamsSchema },
  async ({ claims, params }) =>
    NextResponse.json({ session: await describeSession(claims.sub, params.id) }),
);

/**
 * DELETE /api/auth/sessions/{id} (Bearer) → 204; revokes one of the caller's sessions.
 * Sensitive: 401 `session_revoked` unless the caller's own session is live (lib/auth/live-session.ts).
 */
export const DELETE = defineRoute(
  { auth: "bearer", session: "live", params: sessionParamsSchema },
  async ({ claims, params }) => {
    await revokeUserSession(claims.sub, params.id);
    return new NextResponse(null, { status: 204 });
  },
);
