import { NextResponse } from "next/server";
import { listSecurityEvents } from "@/lib/auth/security-events";
import { defineRoute } from "@/lib/http/route";

/**
 * GET /api/auth/events (Bearer) → { events }: the caller's own recent security events, newest
 * first (new sign-ins, reuse detections, password changes, revocations), at most
 * SECURITY_EVENTS_LIMIT. Only the token's own user's rows, whatever the request says.
 */
export const GET = defineRoute({ auth: "bearer" }, async ({ claims }) =>
  NextResponse.json({ events: await listSecurityEvents(claims.sub, claims.sid) }),
);
