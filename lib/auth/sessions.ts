import "server-only";

/**
 * Sessions and refresh-token rotation.
 *
 * A session is one login on one device, and the family of refresh tokens that descend from it.
 * Each token has a `generation` and a `parentId` (the token whose presentation issued it). The
 * session row holds the newest generation (`headGeneration`), when it was issued
 * (`headIssuedAt`), and which token's rotation produced it (`headParentId`).
 *
 * States of a presented token T in a live session with head generation H:
 *
 *   CURRENT   T.generation = H and T unused
 *               → ROTATE: compare-and-set headGeneration H → H+1, mark T used, insert its child
 *                 at H+1 (parent T), headParentId := T, headIssuedAt := now (read at the write).
 *   GRACE     T.id = headParentId and now ≤ headIssuedAt + the grace bound
 *               → issue another token at generation H (parent T); the head, its parent and its
 *                 issue time stay as they are. Presenting any head-generation token rotates it
 *                 and moves headParentId on, so the parent's grace ends the moment the head is
 *                 first presented; the bound (REFRESH_GRACE_SECONDS) only caps how long an
 *                 unpresented head keeps it open.
 *   REUSED    anything else: an older ancestor; an unused sibling at generation H−1 or below
 *             after the head moved on; the parent after the head was presented or after the
 *             bound
 *               → revoke the whole session (`REVOKE_REASON.refreshTokenReused`) and mark T `reusedAt`
 *                 (the inspector shows which token came back). Every token of the family stops
 *                 working, the thief's and the victim's alike.
 *
 * What the rule guarantees:
 * - A thief with a copy of a cookie is detected at the latest on the victim's second rotation
 *   after the copy. The copy is CURRENT until the victim's first rotation and the parent until
 *   the second; whatever the thief is issued meanwhile sits on a branch beside the victim's, and
 *   two branches cannot both be used: the first to present rotates, and the other's next
 *   presentation is an unused sibling after the head moved on.
 * - A client whose answer was lost keeps its session through an outage up to the bound: its
 *   retry presents the parent while the head it never received stays unpresented.
 * - Times are read at the write (after the session's row lock is taken), so a rotation that
 *   waited on the database is stamped when it commits, and waiting never eats a client's grace.
 *
 * Two paths carry the table out. The normal CURRENT rotation is one SQL statement
 * (`rotateInOneStatement`: lock, compare-and-set, spend, insert, return session and user, in one
 * round trip). Whenever that statement writes nothing (grace, reuse, revoked, expired, a lost
 * race, an unknown token), `decideUnderLock` takes the session's row lock in a transaction and
 * decides on fresh rows. Both compare-and-set on the same lock, so they never both rotate.
 *
 * The grace bound and the idle timeout are the session's effective policy: the server defaults,
 * or shorter per-session values from the inspector's policy panel (lib/auth/session-policy.ts).
 *
 * Device binding (lib/auth/dpop.ts) comes before the table: a bound session (`dpopJkt`) rotates
 * or takes grace only for a proof signed by its key, and the proof's jti is recorded with the
 * token it bought, so the same proof never buys two. A proof by another key with a live token of
 * the session is theft (only a holder of the cookie without the key makes one): the session is
 * revoked (`REVOKE_REASON.dpopKeyMismatch`), as REUSED does. A missing proof, a replayed one or
 * an unbound session under binding changes nothing: the request is refused.
 *
 * Late duplicates (binding on, a bound session): a spent token T presented with a valid proof by
 * the session's own key, whose `iat` is not later than the moment T's successor was presented
 * (the `used_at` of the one spent token at T's generation + 1; `iat`'s whole second), is refused with
 * `refresh_token_superseded` (409): nothing is written, the family is not revoked and the cookie
 * is not cleared. That request is a copy of the device's own, made before the device moved on and
 * run after it (a client that gave up on a hung request and retried; a queue in a proxy or an
 * instance): a thief without the key is refused before this (`dpop_proof_required`, or
 * `dpop_key_mismatch` with another key), and what the rule gives one with the key (in-browser
 * malware, which can sign anyway) is in SECURITY.md. A proof signed after the successor was
 * presented, a successor never presented (the grace bound ran out), an unused stale sibling,
 * an unbound session and DPOP_BINDING=off keep the REUSED verdict.
 *
 * Races each rule prevents:
 * - Many requests presenting one token at once (tabs, instances, a burst of retries): the first
 *   to take the session's row lock rotates; each later one finds its token is the head's parent
 *   with the head unpresented, and gets a sibling. Exactly one rotation, nobody signed out.
 * - A response lost on the network: the retry presents the parent → GRACE, for up to the bound.
 * - A thief replaying a copy right after each of the victim's rotations: the replay of the
 *   parent is accepted only until the victim presents its new token; after that the parent and
 *   every sibling the thief was given are REUSED.
 */
import { currentTime } from "@/lib/auth/clock";
import {
  DpopKeyMismatch,
  DpopProofReplayed,
  DpopProofRequired,
  RefreshTokenInvalid,
  RefreshTokenMissing,
  RefreshTokenReused,
  RefreshTokenSuperseded,
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
import type { LoginRefund } from "@/lib/auth/throttle";
import { securityEventData, storeSecurityEvent } from "@/lib/auth/security-events";
import { REVOKE_REASON, type RevokeReason, SECURITY_EVENT_KIND } from "@/lib/contract";
import { type Db, getDb } from "@/lib/db/client";
import { isDpopBindingOn, type VerifiedProof } from "@/lib/auth/dpop";
import {
  isUniqueViolation,
  rotateInOneStatement,
  startSessionInOneStatement,
} from "@/lib/auth/session-statements";
import type { Session, User } from "@/lib/db/generated/client";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { type ReuseReason, recordEvent } from "@/lib/ops/events";

export type { RevokeReason } from "@/lib/contract";

export type ClientInfo = {
  userAgent: string | null;
  ip: string | null;
  /**
   * The thumbprint of the device key whose DPoP proof came with the sign-in (lib/auth/dpop.ts):
   * the session is bound to it. Absent or null: an unbound session (DPOP_BINDING=off).
   */
  dpopJkt?: string | null;
};

export type IssuedRefreshToken = {
  /** The raw token, for the cookie. Never stored. */
  refreshToken: string;
  session: Session;
  user: User;
};

export type RotationOutcome = IssuedRefreshToken & {
  /** "rotated" for the normal path, "grace" for a sibling issued to the head's parent. */
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
 * Pass a transaction client to make it part of a larger write (Prisma's nested create); without
 * one (a login) it is one hand-written statement, session and token and the user read back in a
 * single round trip (`START_SESSION`; measured in docs/benchmark.md), which also gives the
 * login's throttle `refund` (what `consumeLoginAttemptAndFindAccount` returned) when one is passed.
 *
 * @example
 * const { refreshToken, session } = await startSession(user.id, { userAgent, ip });
 */
export async function startSession(
  userId: string,
  client: ClientInfo,
  tx?: Pick<Db, "session" | "refreshToken" | "user">,
  refund?: LoginRefund,
): Promise<IssuedRefreshToken> {
  const dpopJkt = client.dpopJkt ?? null;
  const env = getEnv();
  const now = currentTime();
  const absoluteExpiresAt = addSeconds(now, env.SESSION_ABSOLUTE_TIMEOUT_SECONDS);
  const idleExpiresAt = idleExpiry(now, absoluteExpiresAt, env.SESSION_IDLE_TIMEOUT_SECONDS);
  const refreshToken = generateRefreshToken();
  if (tx && refund) throw new Error("a login's refund goes with the one-statement start only");
  if (!tx) {
    const started = await startSessionInOneStatement({
      userId,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      now,
      idleExpiresAt,
      absoluteExpiresAt,
      refreshToken,
      refund,
      dpopJkt,
    });
    return { refreshToken, ...started };
  }
  const session = await tx.session.create({
    data: {
      userId,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt,
      absoluteExpiresAt,
      headGeneration: 0,
      headIssuedAt: now,
      headParentId: null,
      dpopJkt,
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
    // The two thefts say so, so the victim's sign-in page can tell them what happened.
    if (session.revokeReason === REVOKE_REASON.refreshTokenReused) throw new RefreshTokenReused();
    if (session.revokeReason === REVOKE_REASON.dpopKeyMismatch) throw new DpopKeyMismatch();
    throw new SessionRevoked();
  }
  if (now >= session.idleExpiresAt || now >= session.absoluteExpiresAt) {
    throw new SessionExpired();
  }
}

/**
 * Spends a refresh token and returns its successor. See the state table at the top of this
 * module.
 *
 * `proof` is the request's verified DPoP proof (lib/auth/dpop.ts `verifyDpopProof`), or null
 * when none was sent and binding is off.
 *
 * Throws RefreshTokenMissing / RefreshTokenInvalid / RefreshTokenReused / SessionExpired /
 * SessionRevoked, RefreshTokenSuperseded (a late duplicate, module comment), and for binding DpopProofRequired / DpopProofReplayed / DpopKeyMismatch.
 *
 * @example
 * const proof = await verifyDpopProof(request, { nonce: "required" });
 * const { refreshToken, session, user } = await rotateRefreshToken(cookieValue, proof);
 */
export async function rotateRefreshToken(
  raw: string | undefined,
  proof: VerifiedProof | null,
): Promise<RotationOutcome> {
  try {
    const outcome = await rotate(raw, proof);
    recordEvent({
      event: "refresh",
      outcome: outcome.via,
      userId: outcome.user.id,
      sessionId: outcome.session.id,
      generation: outcome.session.headGeneration,
    });
    return outcome;
  } catch (error) {
    if (error instanceof AppError) {
      recordEvent({ event: "refresh", outcome: "refused", reason: error.code });
    }
    throw error;
  }
}

async function rotate(
  raw: string | undefined,
  proof: VerifiedProof | null,
): Promise<RotationOutcome> {
  if (!raw) throw new RefreshTokenMissing();
  if (!isWellFormedRefreshToken(raw)) throw new RefreshTokenInvalid();
  const tokenHash = hashRefreshToken(raw);

  try {
    const fast = await rotateInOneStatement(tokenHash, proof);
    if (fast) return { ...fast, via: "rotated" };
  } catch (error) {
    if (isUniqueViolation(error)) throw new DpopProofReplayed();
    throw error;
  }

  const db = await getDb();
  const token = await db.refreshToken.findUnique({
    where: { tokenHash },
    select: { id: true, sessionId: true, session: { include: { user: true } } },
  });
  if (!token) throw new RefreshTokenInvalid();
  const { user, ...seen } = token.session;
  // A revoked or expired session stays so: answer without taking any lock.
  assertSessionUsable(seen, currentTime());

  let outcome: Decision;
  try {
    outcome = await decideUnderLock(db, token.id, token.sessionId, proof);
  } catch (error) {
    if (isUniqueViolation(error) || isPrismaUniqueViolation(error)) throw new DpopProofReplayed();
    throw error;
  }
  if (outcome.via === "reused") {
    recordEvent({
      event: "reuse_detected",
      outcome: outcome.reason,
      userId: user.id,
      sessionId: token.sessionId,
      tokenGeneration: outcome.tokenGeneration,
      headGeneration: outcome.headGeneration,
    });
    throw new RefreshTokenReused();
  }
  if (outcome.via === "superseded") throw new RefreshTokenSuperseded();
  if (outcome.via === "key_mismatch") {
    recordEvent({
      event: "revoked",
      outcome: REVOKE_REASON.dpopKeyMismatch,
      userId: user.id,
      sessionId: token.sessionId,
      sessions: 1,
    });
    throw new DpopKeyMismatch();
  }
  return { ...outcome, user };
}

function isPrismaUniqueViolation(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002"
  );
}

/**
 * Whether `proof` may move `session` on (module comment, "Device binding"): "ok", "mismatch"
 * (another key: theft), or throws for a refusal that writes nothing.
 */
function checkPossession(session: Session, proof: VerifiedProof | null): "ok" | "mismatch" {
  if (session.dpopJkt === null) {
    // Started with binding off. Under binding it cannot refresh: its holder signs in again.
    if (isDpopBindingOn()) throw new DpopProofRequired();
    return "ok";
  }
  if (proof === null) throw new DpopProofRequired();
  return proof.jkt === session.dpopJkt ? "ok" : "mismatch";
}

/**
 * A storm of refreshes of one session (many tabs, a burst of retries) queues its careful
 * transactions on that session's row lock, each holding a pooled connection meanwhile: Prisma's
 * defaults (2 s to get a connection, 5 s per transaction) would turn a 50-request burst on a busy
 * machine into errors. The waits stay bounded.
 */
const CAREFUL_TRANSACTION = { maxWait: 10_000, timeout: 20_000 } as const;

type Decision =
  | { via: "rotated" | "grace"; refreshToken: string; session: Session }
  | { via: "reused"; reason: ReuseReason; tokenGeneration: number; headGeneration: number }
  | { via: "key_mismatch" }
  | { via: "superseded" };

/**
 * The careful path: takes the session's row lock, then reads the session, the token and the
 * clock, and applies the state table. Holding the lock makes every decision about one session
 * happen one at a time, on fresh rows, at a time read after any wait for the lock.
 */
async function decideUnderLock(
  db: Db,
  tokenId: string,
  sessionId: string,
  proof: VerifiedProof | null,
): Promise<Decision> {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM sessions WHERE id = ${sessionId}::uuid FOR UPDATE`;
    const [session, token] = await Promise.all([
      tx.session.findUniqueOrThrow({ where: { id: sessionId } }),
      tx.refreshToken.findUniqueOrThrow({
        where: { id: tokenId },
        select: { id: true, generation: true, usedAt: true },
      }),
    ]);
    const now = currentTime();
    // Throwing rolls back, and nothing was written yet.
    assertSessionUsable(session, now);
    if (checkPossession(session, proof) === "mismatch") {
      await tx.session.update({
        where: { id: sessionId },
        data: { revokedAt: now, revokeReason: REVOKE_REASON.dpopKeyMismatch },
      });
      // The owner sees it under "Recent security activity", in the verdict's transaction.
      await tx.authEvent.create({
        data: securityEventData(session.userId, SECURITY_EVENT_KIND.sessionRevoked, {
          sessionId,
          userAgent: session.userAgent,
          reason: REVOKE_REASON.dpopKeyMismatch,
        }),
      });
      return { via: "key_mismatch" };
    }
    // With whatever the proof buys: a jti seen before throws (unique), which rolls it all back.
    const recordProof = async () => {
      if (proof && session.dpopJkt !== null) {
        await tx.dpopProofJti.create({ data: { jti: proof.jti, expiresAt: proof.jtiExpiresAt } });
      }
    };
    const policy = effectiveSessionPolicy(session);
    const idleExpiresAt = idleExpiry(now, session.absoluteExpiresAt, policy.idleTimeoutSeconds);
    const head = session.headGeneration;

    if (token.generation === head && token.usedAt === null) {
      await recordProof();
      const successor = generateRefreshToken();
      const rotated = await tx.session.update({
        where: { id: sessionId },
        data: {
          headGeneration: head + 1,
          headParentId: token.id,
          headIssuedAt: now,
          lastUsedAt: now,
          idleExpiresAt,
        },
      });
      await tx.refreshToken.update({ where: { id: token.id }, data: { usedAt: now } });
      await tx.refreshToken.create({
        data: {
          sessionId,
          tokenHash: hashRefreshToken(successor),
          parentId: token.id,
          generation: head + 1,
          issuedAt: now,
        },
      });
      return { via: "rotated", refreshToken: successor, session: rotated };
    }

    const graceEndsAt = addSeconds(session.headIssuedAt, policy.refreshGraceSeconds);
    if (token.id === session.headParentId && now <= graceEndsAt) {
      await recordProof();
      const sibling = generateRefreshToken();
      await tx.refreshToken.create({
        data: {
          sessionId,
          tokenHash: hashRefreshToken(sibling),
          parentId: token.id,
          generation: head,
          issuedAt: now,
        },
      });
      const touched = await tx.session.update({
        where: { id: sessionId },
        data: { lastUsedAt: now, idleExpiresAt },
      });
      return { via: "grace", refreshToken: sibling, session: touched };
    }

    if (await isLateDuplicate(tx, session, token, proof)) return { via: "superseded" };

    await tx.session.update({
      where: { id: sessionId },
      data: { revokedAt: now, revokeReason: REVOKE_REASON.refreshTokenReused },
    });
    await tx.refreshToken.update({ where: { id: token.id }, data: { reusedAt: now } });
    // The owner's record of it, in the verdict's transaction: stored exactly when it committed.
    const reason: ReuseReason = token.usedAt !== null ? "spent_token" : "stale_sibling";
    await tx.authEvent.create({
      data: securityEventData(session.userId, SECURITY_EVENT_KIND.reuseDetected, {
        sessionId,
        userAgent: session.userAgent,
        reason,
      }),
    });
    return { via: "reused", reason, tokenGeneration: token.generation, headGeneration: head };
  }, CAREFUL_TRANSACTION);
}

/**
 * The late-duplicate rule (module comment): a spent token, a bound session under binding, a proof
 * by its key (checkPossession said "ok") whose `iat` is not later than the moment the token's
 * successor was presented. Only one token of a generation is ever spent (the compare-and-set), so
 * the spent one at `generation + 1` is the successor, and its `used_at` is when it was presented.
 * Read under the session's row lock, so no rotation moves it meanwhile. `iat` has whole seconds,
 * so the rule asks for the whole second it names to have ended by then (iat + 1 s ≤ that
 * moment): a proof that may have been signed after the successor was presented is reuse, as
 * before.
 */
async function isLateDuplicate(
  tx: Pick<Db, "refreshToken">,
  session: Session,
  token: { generation: number; usedAt: Date | null },
  proof: VerifiedProof | null,
): Promise<boolean> {
  if (token.usedAt === null || session.dpopJkt === null || !isDpopBindingOn()) return false;
  if (proof === null || proof.jkt !== session.dpopJkt || proof.issuedAt === null) return false;
  const successor = await tx.refreshToken.findFirst({
    where: { sessionId: session.id, generation: token.generation + 1, usedAt: { not: null } },
    select: { usedAt: true },
  });
  return (
    successor?.usedAt != null && proof.issuedAt.getTime() + 1_000 <= successor.usedAt.getTime()
  );
}

/**
 * Revokes a session and with it every refresh token of its family. Idempotent:
 * an already revoked session keeps its first reason.
 *
 * @example
 * await revokeSessionFamily(sessionId, REVOKE_REASON.logout);
 */
export async function revokeSessionFamily(sessionId: string, reason: RevokeReason): Promise<void> {
  const db = await getDb();
  const revoked = await db.session.updateManyAndReturn({
    where: { id: sessionId, revokedAt: null },
    data: { revokedAt: currentTime(), revokeReason: reason },
    select: REVOKED_SELECT,
  });
  await recordRevocations(db, revoked, reason);
}

const REVOKED_SELECT = { id: true, userId: true, userAgent: true } as const;

/**
 * A revocation's follow-up: the owner's security event per ended session and one log line.
 * Only sessions this call ended (an already revoked one keeps its first reason and its event).
 */
async function recordRevocations(
  db: Db,
  revoked: Array<{ id: string; userId: string; userAgent: string | null }>,
  reason: RevokeReason,
): Promise<void> {
  for (const session of revoked) {
    await storeSecurityEvent(
      db,
      securityEventData(session.userId, SECURITY_EVENT_KIND.sessionRevoked, {
        sessionId: session.id,
        userAgent: session.userAgent,
        reason,
      }),
    );
    recordEvent({
      event: "revoked",
      outcome: reason,
      userId: session.userId,
      sessionId: session.id,
      sessions: 1,
    });
  }
}

/**
 * Logout: ends every session that one of the refresh tokens names, in one statement, and returns
 * how many it ended. `refreshTokens` are every refresh-cookie value the browser sent
 * (lib/auth/cookies.ts, `readRefreshCookieValues`): normally one, but a planted cookie beside the
 * real one makes two, and logout cannot know which is ours. It need not: ending a session is
 * never a privilege (whoever holds a refresh token can end its session anyway), so every value
 * counts, whoever's session it names. Unknown, malformed and missing tokens are fine (logging
 * out twice is not an error).
 *
 * IMPORTANT: the planter's session ends too, and must. Our clearing cannot remove a cookie set
 * for a parent domain or another path, so after logout the browser still holds the planted one,
 * and the next refresh (another tab's login page restoring, a reload) would sign the victim into
 * the attacker's account if that session were still live. e2e/planted-cookies.spec.ts shows it.
 *
 * @example
 * await revokeSessionsByRefreshTokens(readRefreshCookieValues(request));
 */
export async function revokeSessionsByRefreshTokens(
  refreshTokens: readonly string[],
): Promise<number> {
  const tokenHashes = [...new Set(refreshTokens.filter(isWellFormedRefreshToken))].map(
    hashRefreshToken,
  );
  if (tokenHashes.length === 0) return 0;
  const db = await getDb();
  const revoked = await db.session.updateManyAndReturn({
    where: { revokedAt: null, refreshTokens: { some: { tokenHash: { in: tokenHashes } } } },
    data: { revokedAt: currentTime(), revokeReason: REVOKE_REASON.logout },
    select: REVOKED_SELECT,
  });
  // Each ended session's owner gets the event, the planter too: it is what happened to theirs.
  await recordRevocations(db, revoked, REVOKE_REASON.logout);
  return revoked.length;
}

/**
 * Revokes one of a user's sessions. Throws SessionNotFound when the id is not
 * one of theirs (or is already gone), so nobody can probe other users' ids.
 */
export async function revokeUserSession(userId: string, sessionId: string): Promise<void> {
  const db = await getDb();
  const revoked = await db.session.updateManyAndReturn({
    where: { id: sessionId, userId, revokedAt: null },
    data: { revokedAt: currentTime(), revokeReason: REVOKE_REASON.revokedByUser },
    select: REVOKED_SELECT,
  });
  if (revoked.length === 0) throw new SessionNotFound();
  await recordRevocations(db, revoked, REVOKE_REASON.revokedByUser);
}

/** "Log out everywhere": revokes every live session of the user. Returns how many. */
export async function revokeAllUserSessions(
  userId: string,
  reason: RevokeReason = REVOKE_REASON.logoutEverywhere,
): Promise<number> {
  const db = await getDb();
  const result = await db.session.updateMany({
    where: { userId, revokedAt: null },
    data: { revokedAt: currentTime(), revokeReason: reason },
  });
  if (result.count > 0) {
    // One event for "every session", not one per device: it was one decision.
    await storeSecurityEvent(
      db,
      securityEventData(userId, SECURITY_EVENT_KIND.sessionRevoked, { reason }),
    );
    recordEvent({ event: "revoked", outcome: reason, userId, sessions: result.count });
  }
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
