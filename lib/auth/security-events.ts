import "server-only";

/**
 * A user's own security events, the `auth_events` table: written by the auth core where the
 * outcome is decided (in the same transaction or statement when there is one, so an event is
 * stored exactly when its change committed), read back for the account's owner only.
 *
 * Stored kinds (SECURITY_EVENT_KIND, lib/contract/security-events.ts): a new sign-in, a reuse
 * detection, a password change, a requested revocation. A rotation is not stored: it happens
 * every few minutes per device and says nothing to its owner (lib/ops/events.ts counts it), and
 * the rotation's one statement stays one.
 *
 * Rows are bounded by the retention prune (ARCHITECTURE.md, "Auth events"): it deletes by
 * `created_at`, which `auth_events_created_at_idx` serves; the per-user read below is served
 * by `(user_id, created_at DESC)`.
 */
import { currentTime } from "@/lib/auth/clock";
import {
  SECURITY_EVENTS_LIMIT,
  type SecurityEvent,
  type SecurityEventKind,
  describeDevice,
} from "@/lib/contract";
import { type Db, getDb } from "@/lib/db/client";

/** The row to create for one event (`tx.authEvent.create({ data })`). */
export function securityEventData(
  userId: string,
  kind: SecurityEventKind,
  details: { sessionId?: string | null; userAgent?: string | null; reason?: string | null } = {},
) {
  return {
    userId,
    kind,
    reason: details.reason ?? null,
    sessionId: details.sessionId ?? null,
    device: deviceLabel(details.userAgent ?? null),
    createdAt: currentTime(),
  };
}

/** The coarse label stored instead of the user agent (null when the client sent none). */
export function deviceLabel(userAgent: string | null): string | null {
  return userAgent ? describeDevice(userAgent).slice(0, 64) : null;
}

/**
 * Records one event outside any transaction (a revocation's follow-up write).
 *
 * @example
 * await storeSecurityEvent(db, securityEventData(userId, "session_revoked", { sessionId, reason }));
 */
export async function storeSecurityEvent(
  db: Pick<Db, "authEvent">,
  data: ReturnType<typeof securityEventData>,
): Promise<void> {
  await db.authEvent.create({ data });
}

/**
 * The user's most recent events, newest first, `current` marking those of the caller's session.
 * Only ever the given user's rows: the id comes from the verified access token.
 *
 * @example
 * const events = await listSecurityEvents(claims.sub, claims.sid);
 */
export async function listSecurityEvents(
  userId: string,
  currentSessionId: string,
): Promise<SecurityEvent[]> {
  const db = await getDb();
  const rows = await db.authEvent.findMany({
    where: { userId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: SECURITY_EVENTS_LIMIT,
    select: { id: true, kind: true, reason: true, device: true, sessionId: true, createdAt: true },
  });
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    reason: row.reason,
    device: row.device,
    current: row.sessionId === currentSessionId,
    createdAt: row.createdAt.toISOString(),
  }));
}

/** How long an account's security events are kept: long enough to notice a sign-in months on. */
export const AUTH_EVENTS_RETENTION_DAYS = 90;

/**
 * The retention prune's part for `auth_events`: deletes at most `batchSize` events older than
 * `before` (oldest first, found through `auth_events_created_at_idx`) and returns how many. Call
 * it until it returns less than `batchSize`; each call is one short statement, so a prune never
 * holds many row locks or one long transaction. The retention prune (lib/auth/retention.ts) calls
 * it inside its locked batch, passing that transaction as `executor`.
 *
 * @example
 * const cutoff = new Date(Date.now() - AUTH_EVENTS_RETENTION_DAYS * 86_400_000);
 * while ((await pruneAuthEvents(cutoff, 1000)) === 1000);
 */
export async function pruneAuthEvents(
  before: Date,
  batchSize: number,
  executor?: Pick<Db, "$executeRaw">,
): Promise<number> {
  const db = executor ?? (await getDb());
  return db.$executeRaw`
    DELETE FROM auth_events
    WHERE id IN (
      SELECT id FROM auth_events
      WHERE created_at < ${before}
      ORDER BY created_at
      LIMIT ${batchSize}
    )`;
}
