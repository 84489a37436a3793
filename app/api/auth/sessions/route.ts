import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { assertLiveSession } from "@/lib/auth/live-session";
import { listLiveSessions, revokeAllUserSessions } from "@/lib/auth/sessions";
import { withErrorHandling } from "@/lib/http/respond";

/** GET /api/auth/sessions (Bearer) → the caller's live sessions, the current one marked. */
export const GET = withErrorHandling(async (request) => {
  const { sub: userId, sid } = await authenticateRequest(request);
  const sessions = await listLiveSessions(userId);
  return NextResponse.json({
    sessions: sessions.map((s) => ({
      id: s.id,
      current: s.id === sid,
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
export const DELETE = withErrorHandling(async (request) => {
  const claims = await authenticateRequest(request);
  await assertLiveSession(claims);
  const userId = claims.sub;
  const revoked = await revokeAllUserSessions(userId);
  return NextResponse.json({ revoked });
});
