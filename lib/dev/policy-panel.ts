import "server-only";

/**
 * The inspector's policy panel, server side: shortens one session's lifetimes (access token,
 * refresh grace, idle timeout) so a developer can watch a 20-second token expire without
 * restarting the server. Reached only through lib/dev/gate.ts (`loadPolicyPanel`). What the
 * overrides mean, and why they can only shorten, is lib/auth/session-policy.ts.
 */
import { currentTime } from "@/lib/auth/clock";
import { SessionExpired, SessionNotFound } from "@/lib/auth/errors";
import { type SessionView, describeSession } from "@/lib/auth/session-family";
import { type SessionPolicyOverrides, effectiveSessionPolicy } from "@/lib/auth/session-policy";
import { getDb } from "@/lib/db/client";

/**
 * Stores a live session's overrides (validate them first with `buildSessionPolicySchema`) and
 * re-times its idle expiry from now with the new idle timeout, capped by the absolute expiry.
 * Returns the server's view of the session afterwards (lib/auth/session-family.ts).
 * Throws SessionNotFound when the session is not the user's or has been revoked, and
 * SessionExpired when it is already past its idle or absolute expiry.
 *
 * IMPORTANT: only a live session may be re-timed. Moving the idle expiry of an expired session
 * forward would bring it back to life: its refresh token would work again.
 *
 * @example
 * const session = await setSessionPolicy(userId, sid, { accessTokenTtlSeconds: 20, refreshGraceSeconds: 0, idleTimeoutSeconds: null });
 */
export async function setSessionPolicy(
  userId: string,
  sessionId: string,
  overrides: SessionPolicyOverrides,
): Promise<SessionView> {
  const db = await getDb();
  const now = currentTime();
  const session = await db.session.findFirst({
    where: { id: sessionId, userId, revokedAt: null },
  });
  if (!session) throw new SessionNotFound();
  if (session.idleExpiresAt <= now || session.absoluteExpiresAt <= now) throw new SessionExpired();
  const { idleTimeoutSeconds } = effectiveSessionPolicy(overrides);
  const idle = new Date(now.getTime() + idleTimeoutSeconds * 1000);
  // The same conditions in the write, so a session that expires between the read and the
  // write is not revived either.
  const updated = await db.session.updateMany({
    where: {
      id: sessionId,
      userId,
      revokedAt: null,
      idleExpiresAt: { gt: now },
      absoluteExpiresAt: { gt: now },
    },
    data: {
      ...overrides,
      idleExpiresAt: idle < session.absoluteExpiresAt ? idle : session.absoluteExpiresAt,
    },
  });
  if (updated.count !== 1) throw new SessionExpired();
  return describeSession(userId, sessionId);
}
