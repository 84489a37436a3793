import { NextResponse } from "next/server";
import { listLiveSessions, revokeAllUserSessions } from "@/lib/auth/sessions";
import { defineRoute } from "@/lib/http/route";

/** GET /api/auth/sessions (Bearer) → the caller's live sessions, the current one marked. */
export const GET = defineRoute({ auth: "bearer" }, async ({ claims }) => {
  const sessions = await listLiveSessions(claims.sub);
  return NextResponse.json({
    sessions: sessions.map((s) => ({
      id: s.id,
      current: s.id === claims.sid,
      userAgent: s.userAgent,
      ip: s.ip,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      idleExpiresAt: s.idleExpiresAt.toISOString(),
      absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
    })),
  });
});

/**
 * DELETE /api/auth/sessions (Bearer) → "log out everywhere": revokes every session of the caller.
 * Sensitive: 401 `session_revoked` unless the caller's own session is live (lib/auth/live-session.ts).
 */
export const DELETE = defineRoute({ auth: "bearer", session: "live" }, async ({ claims }) =>
  NextResponse.json({ revoked: await revokeAllUserSessions(claims.sub) }),
);
