import "server-only";

/**
 * The database check behind sensitive actions (password change, revoking one session, "log out
 * everywhere").
 *
 * An access token is verified without the database (lib/auth/authenticate.ts): it proves who
 * the caller was when it was issued, not that their session still exists. That is enough to
 * read notes; it is not enough to change the password or end sessions, because a stolen access
 * token outlives the revocation of its session by up to its lifetime, and those minutes would
 * let a thief whose session the owner already ended lock the owner out. So these actions also
 * require the token's session (`sid`) to be live in the database: not revoked, not idle- or
 * absolute-expired, and the caller's. Anything else is 401 SessionRevoked, which the browser
 * wrapper answers with one refresh (the cookie may hold a newer session) and a retry.
 *
 * This is a read before the action. Password change repeats the check inside its own write
 * (lib/auth/accounts.ts), so a revocation that commits in between still wins there; revoking
 * sessions needs no such repeat (revoking is what a revoked caller could at most do again).
 */
import { currentTime } from "@/lib/auth/clock";
import { SessionRevoked } from "@/lib/auth/errors";
import type { AccessTokenClaims } from "@/lib/auth/tokens";
import { getDb } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";

/** The `where` of "this user's session, live at `now`": shared with writes that re-check it. */
export function liveSessionWhere(
  userId: string,
  sessionId: string,
  now: Date,
): Prisma.SessionWhereInput {
  return {
    id: sessionId,
    userId,
    revokedAt: null,
    idleExpiresAt: { gt: now },
    absoluteExpiresAt: { gt: now },
  };
}

/**
 * Throws SessionRevoked (401) unless the caller's session is live.
 *
 * @example
 * const claims = await authenticateRequest(request);
 * await assertLiveSession(claims);
 */
export async function assertLiveSession(
  claims: Pick<AccessTokenClaims, "sub" | "sid">,
): Promise<void> {
  const db = await getDb();
  const live = await db.session.count({
    where: liveSessionWhere(claims.sub, claims.sid, currentTime()),
  });
  if (live !== 1) throw new SessionRevoked();
}
