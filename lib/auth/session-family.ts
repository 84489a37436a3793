import "server-only";

/**
 * The server's view of one session and its refresh-token family, for the inspector: what the
 * browser cannot see, because the refresh token lives in an httpOnly cookie.
 *
 * It reports times and states, never a token or a token hash. Each token of the family is a node
 * of a small tree (parent → the token issued when it was presented):
 *
 *   issuedVia   login     the first token of the session (no parent)
 *               rotation  the successor issued when the parent was spent (CURRENT → ROTATE)
 *               grace     a sibling issued when the head's parent came back before the head was
 *                         presented (GRACE): a lost response retried, or two tabs racing
 *   state       current     the newest unused token at the head generation of a live session:
 *                           the one the browser was last given (exactly one per live session)
 *               rotated     spent (presented once, successfully)
 *               reused      came back when it was no longer acceptable (an ancestor, a sibling
 *                           after the head moved on, the parent after the head was presented):
 *                           the presentation that revoked the family
 *               superseded  never presented, and a newer token replaced it: the head moved on,
 *                           or a sibling at its generation was issued later (its answer was
 *                           lost, or another tab's sibling was used instead). A superseded
 *                           sibling at the head generation can still rotate (CURRENT) until the
 *                           head moves on.
 *               revoked     unused when the session was revoked
 *               expired     unused when the session expired
 *
 * The states mirror the rotation state table in lib/auth/sessions.ts. A rotation child is told
 * from a grace sibling by time: rotation spends the parent and issues the child at the same
 * instant (`issuedAt` = parent's `usedAt`); a grace sibling comes later.
 *
 * Access tokens are stateless, so a caller whose session was just revoked still holds a working
 * access token for a while, and can still read this view: that is how the inspector shows a
 * revoked family and why it was revoked.
 *
 * IMPORTANT: the view states no grace end and no head issue time. Whoever holds an access token
 * of the session can poll it, including a thief who also copied the refresh cookie. Under the old
 * fixed window, "grace open until T" was that thief's schedule: replay the copy before T and stay
 * in. Under the current rule the grace has no end time to state (it ends when the head is first
 * presented, or at the bound), and a thief's timing buys nothing: a replay of the parent is
 * accepted only until the victim presents its head, and the thief's branch is reuse from then on
 * (test/attacks/thief-timing.test.ts gives its thief perfect timing). The view still shows when
 * the session last refreshed (lastUsedAt, token times), as the sessions list does; the rule does
 * not rely on that being secret.
 */
import { currentTime } from "@/lib/auth/clock";
import { SessionNotFound } from "@/lib/auth/errors";
import {
  type SessionPolicy,
  type SessionPolicyOverrides,
  defaultSessionPolicy,
  effectiveSessionPolicy,
  sessionPolicyOverrides,
} from "@/lib/auth/session-policy";
import type { FamilyTokenState, IssuedVia, SessionStatus } from "@/lib/contract";
import { getDb } from "@/lib/db/client";

/** The newest tokens of a family that the view lists; a long-lived session has thousands. */
export const MAX_FAMILY_NODES = 60;

export type FamilyToken = {
  id: string;
  parentId: string | null;
  generation: number;
  issuedAt: Date;
  usedAt: Date | null;
  reusedAt: Date | null;
  issuedVia: IssuedVia;
  state: FamilyTokenState;
};

export type SessionView = {
  id: string;
  status: SessionStatus;
  createdAt: Date;
  lastUsedAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
  revokeReason: string | null;
  headGeneration: number;
  deviceKeyThumbprint: string | null;
  policy: {
    defaults: SessionPolicy;
    overrides: SessionPolicyOverrides;
    effective: SessionPolicy;
  };
  /** Newest generation first, at most MAX_FAMILY_NODES. */
  tokens: FamilyToken[];
  /** How many tokens the family has in all. */
  tokenCount: number;
};

/**
 * One of the user's sessions (live or not) with its refresh-token family. Throws SessionNotFound
 * when the id is not one of theirs.
 *
 * @example
 * const { sub, sid } = await authenticateRequest(request);
 * const view = await describeSession(sub, sid);
 * view.tokens.find((t) => t.state === "current");
 */
export async function describeSession(userId: string, sessionId: string): Promise<SessionView> {
  const db = await getDb();
  const now = currentTime();
  const session = await db.session.findFirst({ where: { id: sessionId, userId } });
  if (!session) throw new SessionNotFound();
  const [rows, tokenCount] = await Promise.all([
    db.refreshToken.findMany({
      where: { sessionId },
      // Never the hash: the view names tokens by id only.
      select: {
        id: true,
        parentId: true,
        generation: true,
        issuedAt: true,
        usedAt: true,
        reusedAt: true,
      },
      orderBy: [{ generation: "desc" }, { issuedAt: "desc" }],
      take: MAX_FAMILY_NODES,
    }),
    db.refreshToken.count({ where: { sessionId } }),
  ]);

  const status: SessionStatus = session.revokedAt
    ? "revoked"
    : now >= session.idleExpiresAt || now >= session.absoluteExpiresAt
      ? "expired"
      : "active";
  const usedAtById = new Map(rows.map((row) => [row.id, row.usedAt]));
  const effective = effectiveSessionPolicy(session);

  // One token is "current": the newest unused one at the head generation. Rows come newest
  // first, so it is the first such row; an older unused sibling at that generation is the one
  // whose answer was lost (or that another tab's sibling replaced), so it reads as superseded.
  const currentId = rows.find(
    (row) => !row.usedAt && !row.reusedAt && row.generation === session.headGeneration,
  )?.id;
  const tokens = rows.map((row): FamilyToken => {
    let state: FamilyTokenState;
    if (row.reusedAt) state = "reused";
    else if (row.usedAt) state = "rotated";
    else if (status !== "active") state = status;
    else state = row.id === currentId ? "current" : "superseded";
    let issuedVia: FamilyToken["issuedVia"] = "login";
    if (row.parentId !== null) {
      // A parent beyond MAX_FAMILY_NODES is not loaded; its child then counts as a rotation.
      const parentUsedAt = usedAtById.get(row.parentId);
      issuedVia =
        parentUsedAt && parentUsedAt.getTime() !== row.issuedAt.getTime() ? "grace" : "rotation";
    }
    return { ...row, issuedVia, state };
  });

  return {
    id: session.id,
    status,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    idleExpiresAt: session.idleExpiresAt,
    absoluteExpiresAt: session.absoluteExpiresAt,
    revokedAt: session.revokedAt,
    revokeReason: session.revokeReason,
    headGeneration: session.headGeneration,
    deviceKeyThumbprint: session.dpopJkt,
    policy: {
      defaults: defaultSessionPolicy(),
      overrides: sessionPolicyOverrides(session),
      effective,
    },
    tokens,
    tokenCount,
  };
}
