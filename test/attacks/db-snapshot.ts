import type { Db } from "@/lib/db/client";

/**
 * Row counts and the newest write time of every table, to prove that a
 * refused request wrote nothing.
 */
export async function snapshotDatabase(db: Db) {
  const [users, sessions, refreshTokens, notes, rateLimits, lastSession, lastToken] =
    await Promise.all([
      db.user.count(),
      db.session.count(),
      db.refreshToken.count(),
      db.note.count(),
      db.rateLimit.count(),
      db.session.findFirst({ orderBy: { lastUsedAt: "desc" }, select: { lastUsedAt: true } }),
      db.refreshToken.findFirst({ orderBy: { issuedAt: "desc" }, select: { issuedAt: true } }),
    ]);
  const revoked = await db.session.count({ where: { revokedAt: { not: null } } });
  const used = await db.refreshToken.count({ where: { usedAt: { not: null } } });
  const dpopProofJtis = await db.dpopProofJti.count();
  return {
    users,
    sessions,
    refreshTokens,
    notes,
    rateLimits,
    revoked,
    used,
    dpopProofJtis,
    lastSessionUse: lastSession?.lastUsedAt.toISOString() ?? null,
    lastTokenIssued: lastToken?.issuedAt.toISOString() ?? null,
  };
}
