import "server-only";

/**
 * The hand-written statements of the two hot paths, each one round trip: a login's new session
 * with its first refresh token (`START_SESSION`), and the normal rotation (`rotateInOneStatement`).
 * lib/auth/sessions.ts owns the rules and calls these; Prisma owns the model, the migrations and
 * every other query. Both go straight to the driver (`getSqlRunner`, lib/db/client.ts): prepared
 * once on PGlite, unnamed on PostgreSQL so they pass a transaction-mode pooler (`SqlStatement` in
 * lib/db/adapter.ts); docs/benchmark.md ("Where a rotation's time goes") has the measurements.
 */
import { randomUUID } from "node:crypto";
import { clockOffsetMs, currentTime } from "@/lib/auth/clock";
import { generateRefreshToken, hashRefreshToken } from "@/lib/auth/refresh-token-value";
import { deviceLabel } from "@/lib/auth/security-events";
import { type LoginRefund, refundCtes, refundValues } from "@/lib/auth/throttle";
import { SECURITY_EVENT_KIND } from "@/lib/contract";
import { getSqlRunner } from "@/lib/db/client";
import { withDeadlockRetry } from "@/lib/db/retry";
import type { Session, User } from "@/lib/db/generated/client";
import { getEnv } from "@/lib/env";

/**
 * A session and its user as one row, column by column: what the hand-written statements return
 * (`SESSION_AND_USER_COLUMNS` of a session row `r` joined to its user `u`).
 */
type SessionRow = {
  s_id: string;
  s_user_id: string;
  s_user_agent: string | null;
  s_ip: string | null;
  s_created_at: Date;
  s_last_used_at: Date;
  s_idle_expires_at: Date;
  s_absolute_expires_at: Date;
  s_head_generation: number;
  s_head_issued_at: Date;
  s_head_parent_id: string | null;
  s_revoked_at: Date | null;
  s_revoke_reason: string | null;
  s_access_token_ttl_seconds: number | null;
  s_refresh_grace_seconds: number | null;
  s_idle_timeout_seconds: number | null;
  s_dpop_jkt: string | null;
  u_id: string;
  u_email: string;
  u_name: string | null;
  u_password_hash: string;
  u_created_at: Date;
  u_updated_at: Date;
};

/** The columns of `SessionRow`, from a session row `r` and its user `u`. */
const SESSION_AND_USER_COLUMNS = `
    r.id AS s_id, r.user_id AS s_user_id, r.user_agent AS s_user_agent, r.ip AS s_ip,
    r.created_at AS s_created_at, r.last_used_at AS s_last_used_at,
    r.idle_expires_at AS s_idle_expires_at, r.absolute_expires_at AS s_absolute_expires_at,
    r.head_generation AS s_head_generation, r.head_issued_at AS s_head_issued_at,
    r.head_parent_id AS s_head_parent_id, r.revoked_at AS s_revoked_at,
    r.revoke_reason AS s_revoke_reason,
    r.access_token_ttl_seconds AS s_access_token_ttl_seconds,
    r.refresh_grace_seconds AS s_refresh_grace_seconds,
    r.idle_timeout_seconds AS s_idle_timeout_seconds, r.dpop_jkt AS s_dpop_jkt,
    u.id AS u_id, u.email AS u_email, u.name AS u_name, u.password_hash AS u_password_hash,
    u.created_at AS u_created_at, u.updated_at AS u_updated_at`;

/**
 * A new session and its first refresh token, in one statement, with a login's throttle refund
 * (lib/auth/throttle.ts `refundCtes`) and the account's "new sign-in" security event
 * (`auth_events`, lib/auth/security-events.ts) in the same statement, so a login still costs its
 * two statements. Parameters: $1 the session's id, $2 the user's id, $3 user agent, $4 address,
 * $5 now, $6 the idle expiry, $7 the absolute expiry, $8 the token's id, $9 its hash, $10–$12 the
 * refund's keys (`refundValues`), $13 the event's id, $14 the device label, $15 the thumbprint of
 * the device's key (lib/auth/dpop.ts), or NULL for an unbound session.
 */
const START_SESSION = `
    WITH ${refundCtes(5, 10)},
    started AS (
      INSERT INTO sessions (id, user_id, user_agent, ip, created_at, last_used_at,
                            idle_expires_at, absolute_expires_at, head_generation,
                            head_issued_at, head_parent_id, dpop_jkt)
      VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::timestamptz, $5::timestamptz,
              $6::timestamptz, $7::timestamptz, 0, $5::timestamptz, NULL, $15::text)
      RETURNING *
    ),
    issued AS (
      INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, generation, issued_at)
      SELECT $8::uuid, s.id, $9::text, NULL, 0, s.created_at
      FROM started s
    ),
    recorded AS (
      INSERT INTO auth_events (id, user_id, kind, reason, session_id, device, created_at)
      SELECT $13::uuid, s.user_id, '${SECURITY_EVENT_KIND.signedIn}', NULL, s.id, $14::text,
             s.created_at
      FROM started s
    )
    SELECT ${SESSION_AND_USER_COLUMNS}
    FROM started r JOIN users u ON u.id = r.user_id`;

/**
 * A login's new session (`START_SESSION`): session, first token and the user read back in one
 * round trip, with the throttle's `refund` when one is given. lib/auth/sessions.ts `startSession`
 * computes the times and calls this.
 */
export async function startSessionInOneStatement(start: {
  userId: string;
  userAgent: string | null;
  ip: string | null;
  now: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  refreshToken: string;
  refund?: LoginRefund;
  dpopJkt: string | null;
}): Promise<{ session: Session; user: User }> {
  const run = await getSqlRunner();
  const values = [
    randomUUID(),
    start.userId,
    start.userAgent,
    start.ip,
    start.now.toISOString(),
    start.idleExpiresAt.toISOString(),
    start.absoluteExpiresAt.toISOString(),
    randomUUID(),
    hashRefreshToken(start.refreshToken),
    ...refundValues(start.refund),
    randomUUID(),
    deviceLabel(start.userAgent),
    start.dpopJkt,
  ];
  // The refund locks counter rows; a deadlock rolls the whole statement back, session included.
  const [row] = await withDeadlockRetry(() =>
    run<SessionRow>({ name: "start_session", text: START_SESSION, values }),
  );
  if (!row) throw new Error("starting a session returned no row");
  return fromSessionRow(row);
}

/**
 * The fast path's statement. Parameters: $1 the presented token's hash, $2 the app's clock when
 * the request was sent (ISO), $3 the test clock's offset in ms, $4 the default idle timeout in
 * seconds, $5 the successor's id, $6 the successor's hash, $7 the thumbprint of the key that
 * signed the request's DPoP proof (NULL: no proof), $8 the proof's jti (NULL: none to record),
 * $9 until when to keep it, $10 the real clock (ISO), for sweeping jtis that expired.
 */
const ROTATE_IN_ONE_STATEMENT = `
    WITH presented AS MATERIALIZED (
      SELECT t.id, t.session_id, t.generation
      FROM refresh_tokens t
      WHERE t.token_hash = $1::text AND t.used_at IS NULL
    ),
    locked AS MATERIALIZED (
      SELECT s.id
      FROM sessions s JOIN presented p ON p.session_id = s.id
      WHERE s.head_generation = p.generation AND s.revoked_at IS NULL
        AND s.dpop_jkt IS NOT DISTINCT FROM $7::text
      FOR UPDATE OF s
    ),
    clock AS MATERIALIZED (
      SELECT GREATEST(
        $2::timestamptz,
        clock_timestamp() + make_interval(secs => $3::float8 / 1000)
      ) AS now
      FROM locked
    ),
    rotated AS (
      UPDATE sessions s
      SET head_generation = s.head_generation + 1,
          head_parent_id = p.id,
          head_issued_at = c.now,
          last_used_at = c.now,
          idle_expires_at = LEAST(
            c.now + make_interval(secs => LEAST(
              COALESCE(s.idle_timeout_seconds, $4::int),
              $4::int
            )),
            s.absolute_expires_at
          )
      FROM locked l, presented p, clock c
      WHERE s.id = l.id
        AND s.head_generation = p.generation
        AND s.revoked_at IS NULL
        AND c.now < s.idle_expires_at
        AND c.now < s.absolute_expires_at
      RETURNING s.*, p.id AS spent_id
    ),
    spent AS (
      UPDATE refresh_tokens t
      SET used_at = r.head_issued_at
      FROM rotated r
      WHERE t.id = r.spent_id
    ),
    issued AS (
      INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, generation, issued_at)
      SELECT $5::uuid, r.id, $6::text, r.spent_id, r.head_generation, r.head_issued_at
      FROM rotated r
    ),
    proof AS (
      INSERT INTO dpop_proof_jtis (jti, expires_at)
      SELECT $8::text, $9::timestamptz FROM rotated WHERE $8::text IS NOT NULL
    ),
    swept AS (
      DELETE FROM dpop_proof_jtis
      WHERE jti IN (
        SELECT j.jti FROM dpop_proof_jtis j
        WHERE j.expires_at < $10::timestamptz AND EXISTS (SELECT 1 FROM rotated)
        ORDER BY j.expires_at
        LIMIT 2
        FOR UPDATE SKIP LOCKED
      )
    )
    SELECT ${SESSION_AND_USER_COLUMNS}
    FROM rotated r JOIN users u ON u.id = r.user_id`;

/** What a rotation must match and record of the request's DPoP proof (lib/auth/dpop.ts). */
export type ProofToRecord = { jkt: string; jti: string; jtiExpiresAt: Date } | null;

/** PostgreSQL's unique_violation, as both drivers report it. */
export function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505"
  );
}

/**
 * The fast path: the normal CURRENT rotation as one data-modifying statement, one round trip.
 * Returns null whenever the token is not CURRENT in a live session at the moment of the write
 * (unknown, spent, a sibling behind the head, a lost race, revoked, expired); the careful path
 * then decides, with every guarantee of the state table.
 *
 * Its parts, in the order PostgreSQL has to run them:
 * - `presented`: the token, if unused.
 * - `locked`: its session's row, locked (FOR UPDATE), only if the token is at the head and the
 *   session is not revoked. A concurrent rotation makes this wait; READ COMMITTED then re-checks
 *   the condition on the newest row version, so the loser of a race finds nothing here. This is
 *   the compare-and-set.
 * - `clock`: the time, read from a row of `locked`, so after the lock was granted: the later of
 *   the app's clock when the request was sent and the database's clock now plus the test clock's
 *   offset. Waiting for the lock never makes a rotation look older than it is.
 * - `rotated`: H → H+1, head_parent_id, head_issued_at, last_used_at and the idle expiry (the
 *   session's effective idle timeout: its override, never above the default), if not expired.
 * - `spent` and `issued`: T marked used and its child inserted, with the same time, only if
 *   `rotated` wrote a row (data-modifying CTEs always run; they act on `rotated`'s rows).
 * - device binding: `locked` only matches a session bound to the proof's key (`dpop_jkt`; NULL
 *   for NULL when binding is off), and `proof` records the proof's jti beside the rotation it
 *   bought. A jti seen before breaks the primary key, which aborts the whole statement: nothing
 *   is written and the caller answers `dpop_proof_replayed` (`isUniqueViolation`). `swept`
 *   deletes up to two jtis whose nonce can no longer be valid, so the table stays small without
 *   a job; SKIP LOCKED keeps concurrent rotations from waiting on each other's sweep. Still one
 *   statement, one round trip.
 *
 * It goes straight to the driver under Prisma (`getSqlRunner`: the same pool, or the same
 * embedded database, with the same bounds), not through `$queryRaw`: Prisma's query runtime cost
 * more CPU than the statement itself (measured in docs/benchmark.md, "Where a rotation's time
 * goes"). On PostgreSQL it is sent unnamed, one round trip (lib/db/adapter.ts `SqlStatement`).
 */
export async function rotateInOneStatement(
  tokenHash: string,
  proof: ProofToRecord,
): Promise<{ refreshToken: string; session: Session; user: User } | null> {
  const run = await getSqlRunner();
  const successor = generateRefreshToken();
  const rows = await run<SessionRow>({
    name: "rotate_refresh_token",
    text: ROTATE_IN_ONE_STATEMENT,
    values: [
      tokenHash,
      currentTime().toISOString(),
      clockOffsetMs(),
      getEnv().SESSION_IDLE_TIMEOUT_SECONDS,
      randomUUID(),
      hashRefreshToken(successor),
      proof?.jkt ?? null,
      proof?.jti ?? null,
      proof?.jtiExpiresAt.toISOString() ?? null,
      new Date().toISOString(),
    ],
  });
  const row = rows[0];
  return row ? { refreshToken: successor, ...fromSessionRow(row) } : null;
}

function fromSessionRow(row: SessionRow): { session: Session; user: User } {
  return {
    session: {
      id: row.s_id,
      userId: row.s_user_id,
      userAgent: row.s_user_agent,
      ip: row.s_ip,
      createdAt: row.s_created_at,
      lastUsedAt: row.s_last_used_at,
      idleExpiresAt: row.s_idle_expires_at,
      absoluteExpiresAt: row.s_absolute_expires_at,
      headGeneration: row.s_head_generation,
      headIssuedAt: row.s_head_issued_at,
      headParentId: row.s_head_parent_id,
      revokedAt: row.s_revoked_at,
      revokeReason: row.s_revoke_reason,
      accessTokenTtlSeconds: row.s_access_token_ttl_seconds,
      refreshGraceSeconds: row.s_refresh_grace_seconds,
      idleTimeoutSeconds: row.s_idle_timeout_seconds,
      dpopJkt: row.s_dpop_jkt,
    },
    user: {
      id: row.u_id,
      email: row.u_email,
      name: row.u_name,
      passwordHash: row.u_password_hash,
      createdAt: row.u_created_at,
      updatedAt: row.u_updated_at,
    },
  };
}
