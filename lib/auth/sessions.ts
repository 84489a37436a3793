import "server-only";

/**
 * Sessions and refresh-token rotation.
 *
 * A session is one login on one device, and the family of refresh tokens that
 * descend from it. Each token has a `generation`; the session row holds the
 * newest one (`headGeneration`) and when it was issued (`headIssuedAt`).
 *
 * States of a presented token T (generation g) in a live session with head H:
 *
 *   CURRENT   g = H, unused  → ROTATE: compare-and-set headGeneration g → g+1
 *                              in one transaction with "mark T used" and
 *                              "insert child (g+1)". Returns the child.
 *   GRACE     g = H-1 and now − headIssuedAt ≤ the grace window
 *                            → issue another token at generation H (a sibling
 *                              of the current one), change nothing else.
 *   REUSED    anything older, or g = H-1 after the window
 *                            → revoke the whole session (reason
 *                              refresh_token_reused) and mark T `reusedAt`
 *                              (so the inspector can show which token came
 *                              back). Every token of the family stops working.
 *
 * The grace window (REFRESH_GRACE_SECONDS) and the idle timeout
 * (SESSION_IDLE_TIMEOUT_SECONDS) are the session's effective policy: the
 * server defaults, or shorter per-session values from the inspector's policy
 * panel (lib/auth/session-policy.ts).
 *
 * Races each rule prevents:
 * - Two requests rotating the same token at once (two tabs, two instances):
 *   the compare-and-set is a single UPDATE … WHERE head_generation = g, so
 *   PostgreSQL lets exactly one commit; the loser re-reads the session, finds
 *   itself in GRACE, and gets a sibling instead of revoking the family.
 * - A response lost on the network: the client retries with the token it
 *   still holds, which is now g = H-1, inside the window → GRACE. Whatever a
 *   caller gets inside the window is a token at the head, so it keeps working.
 * - A thief replaying a stolen, already-rotated token after the window (or any
 *   older ancestor, at any time) → REUSED: both the thief and the victim are
 *   signed out, and the victim's next refresh reports why.
 */
import { currentTime } from "@/lib/auth/clock";
import {
  RefreshTokenInvalid,
  RefreshTokenMissing,
  RefreshTokenReused,
  SessionExpired,
  SessionNotFound,
  SessionRevoked,
} from "@/lib/auth/errors";
import {
  generateRefreshToken,
  hashRefreshToken,
  isWellFormedRefreshToken,
} from "@/lib/auth/refresh-token-value";
import { effectiveSessionPolicy } from "@/lib/auth/session-policy";
import { type Db, getDb } from "@/lib/db/client";
import type { Session, User } from "@/lib/db/generated/client";
import { getEnv } from "@/lib/env";

export type RevokeReason =
  "logout" | "revoked_by_user" | "logout_everywhere" | "refresh_token_reused" | "password_changed";

export type ClientInfo = { userAgent: string | null; ip: string | null };

export type IssuedRefreshToken = {
  /** The raw token, for the cookie. Never stored. */
  refreshToken: string;
  session: Session;
  user: User;
};

export type RotationOutcome = IssuedRefreshToken & {
  /** "rotated" for the normal path, "grace" for a sibling issued inside the window. */
  via: "rotated" | "grace";
};

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

function idleExpiry(now: Date, absoluteExpiresAt: Date, idleTimeoutSeconds: number): Date {
  const idle = addSeconds(now, idleTimeoutSeconds);
  return idle < absoluteExpiresAt ? idle : absoluteExpiresAt;
}

/**
 * Starts a session (after login or registration) with its first refresh token.
 * Pass a transaction client to make it part of a larger write.
 *
 * @example
 * const { refreshToken, session } = await startSession(user.id, { userAgent, ip });
 */
export async function startSession(
  userId: string,
  client: ClientInfo,
  tx?: Pick<Db, "session" | "refreshToken" | "user">,
): Promise<IssuedRefreshToken> {
  const db = tx ?? (await getDb());
  const env = getEnv();
  const now = currentTime();
  const absoluteExpiresAt = addSeconds(now, env.SESSION_ABSOLUTE_TIMEOUT_SECONDS);
  const refreshToken = generateRefreshToken();
  const session = await db.session.create({
    data: {
      userId,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: idleExpiry(now, absoluteExpiresAt, env.SESSION_IDLE_TIMEOUT_SECONDS),
      absoluteExpiresAt,
      headGeneration: 0,
      headIssuedAt: now,
      refreshTokens: {
        create: { tokenHash: hashRefreshToken(refreshToken), generation: 0, issuedAt: now },
      },
    },
    include: { user: true },
  });
  const { user, ...sessionRow } = session;
  return { refreshToken, session: sessionRow, user };
}

function assertSessionUsable(session: Session, now: Date): void {
  if (session.revokedAt) {
    throw session.revokeReason === "refresh_token_reused"
      ? new RefreshTokenReused()
      : new SessionRevoked();
  }
  if (now >= session.idleExpiresAt || now >= session.absoluteExpiresAt) {
    throw new SessionExpired();
  }
}

/**
 * Spends a refresh token and returns its successor. See the state table at the
 * top of this module.
 *
 * Throws RefreshTokenMissing / RefreshTokenInvalid / RefreshTokenReused /
 * SessionExpired / SessionRevoked.
 *
 * @example
 * const { refreshToken, session, user } = await rotateRefreshToken(cookieValue);
 */
export async function rotateRefreshToken(raw: string | undefined): Promise<RotationOutcome> {
  if (!raw) throw new RefreshTokenMissing();
  if (!isWellFormedRefreshToken(raw)) throw new RefreshTokenInvalid();
  const db = await getDb();
  const now = currentTime();

  const token = await db.refreshToken.findUnique({
    where: { tokenHash: hashRefreshToken(raw) },
    include: { session: { include: { user: true } } },
  });
  if (!token) throw new RefreshTokenInvalid();
  const { user, ...initialSession } = token.session;
  let session: Session = initialSession;
  assertSessionUsable(session, now);
  const policy = effectiveSessionPolicy(session);

  if (token.generation === session.headGeneration && token.usedAt === null) {
    const successor = generateRefreshToken();
    const rotated = await db.$transaction(async (tx) => {
      const claimed = await tx.session.updateMany({
        where: { id: session.id, headGeneration: token.generation, revokedAt: null },
        data: {
          headGeneration: token.generation + 1,
          headIssuedAt: now,
          lastUsedAt: now,
          idleExpiresAt: idleExpiry(now, session.absoluteExpiresAt, policy.idleTimeoutSeconds),
        },
      });
      if (claimed.count !== 1) return null;
      await tx.refreshToken.update({ where: { id: token.id }, data: { usedAt: now } });
      await tx.refreshToken.create({
        data: {
          sessionId: session.id,
          tokenHash: hashRefreshToken(successor),
          parentId: token.id,
          generation: token.generation + 1,
          issuedAt: now,
        },
      });
      return tx.session.findUniqueOrThrow({ where: { id: session.id } });
    });
    if (rotated) return { refreshToken: successor, session: rotated, user, via: "rotated" };
    // Another request rotated this token between our read and our write.
    session = await db.session.findUniqueOrThrow({ where: { id: session.id } });
    assertSessionUsable(session, now);
  }

  const graceEndsAt = addSeconds(session.headIssuedAt, policy.refreshGraceSeconds);
  if (token.generation === session.headGeneration - 1 && now <= graceEndsAt) {
    const sibling = generateRefreshToken();
    const head = session.headGeneration;
    const reissued = await db.$transaction(async (tx) => {
      // Re-check under the write: the head must not have moved on, and the
      // session must not have been revoked, since we read it.
      const touched = await tx.session.updateMany({
        where: { id: session.id, headGeneration: head, revokedAt: null },
        data: {
          lastUsedAt: now,
          idleExpiresAt: idleExpiry(now, session.absoluteExpiresAt, policy.idleTimeoutSeconds),
        },
      });
      if (touched.count !== 1) return null;
      await tx.refreshToken.updateMany({
        where: { id: token.id, usedAt: null },
        data: { usedAt: now },
      });
      await tx.refreshToken.create({
        data: {
          sessionId: session.id,
          tokenHash: hashRefreshToken(sibling),
          parentId: token.id,
          generation: head,
          issuedAt: now,
        },
      });
      return tx.session.findUniqueOrThrow({ where: { id: session.id } });
    });
    if (reissued) return { refreshToken: sibling, session: reissued, user, via: "grace" };
    session = await db.session.findUniqueOrThrow({ where: { id: session.id } });
    assertSessionUsable(session, now);
  }

  await revokeSessionFamily(session.id, "refresh_token_reused");
  await db.refreshToken.update({ where: { id: token.id }, data: { reusedAt: now } });
  throw new RefreshTokenReused();
}

/**
 * Revokes a session and with it every refresh token of its family. Idempotent:
 * an already revoked session keeps its first reason.
 *
 * @example
 * await revokeSessionFamily(sessionId, "logout");
 */
export async function revokeSessionFamily(sessionId: string, reason: RevokeReason): Promise<void> {
  const db = await getDb();
  await db.session.updateMany({
    where: { id: sessionId, revokedAt: null },
    data: { revokedAt: currentTime(), revokeReason: reason },
  });
}

/**
 * Logout: revokes the session the refresh token belongs to. Unknown or missing
 * tokens are fine (logging out twice is not an error).
 */
export async function revokeSessionByRefreshToken(raw: string | undefined): Promise<void> {
  if (!raw || !isWellFormedRefreshToken(raw)) return;
  const db = await getDb();
  const token = await db.refreshToken.findUnique({
    where: { tokenHash: hashRefreshToken(raw) },
    select: { sessionId: true },
  });
  if (token) await revokeSessionFamily(token.sessionId, "logout");
}

/**
 * Revokes one of a user's sessions. Throws SessionNotFound when the id is not
 * one of theirs (or is already gone), so nobody can probe other users' ids.
 */
export async function revokeUserSession(userId: string, sessionId: string): Promise<void> {
  const db = await getDb();
  const result = await db.session.updateMany({
    where: { id: sessionId, userId, revokedAt: null },
    data: { revokedAt: currentTime(), revokeReason: "revoked_by_user" },
  });
  if (result.count === 0) throw new SessionNotFound();
}

/** "Log out everywhere": revokes every live session of the user. Returns how many. */
export async function revokeAllUserSessions(
  userId: string,
  reason: RevokeReason = "logout_everywhere",
): Promise<number> {
  const db = await getDb();
  const result = await db.session.updateMany({
    where: { userId, revokedAt: null },
    data: { revokedAt: currentTime(), revokeReason: reason },
  });
  return result.count;
}

/** The user's sessions that can still refresh, newest activity first. */
export async function listLiveSessions(userId: string): Promise<Session[]> {
  const db = await getDb();
  const now = currentTime();
  return db.session.findMany({
    where: {
      userId,
      revokedAt: null,
      idleExpiresAt: { gt: now },
      absoluteExpiresAt: { gt: now },
    },
    orderBy: { lastUsedAt: "desc" },
  });
}
