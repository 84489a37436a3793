import "server-only";

/**
 * Per-session policy: the access-token lifetime, the refresh grace window and the idle timeout,
 * which one session may run with shorter than the server's defaults. The inspector's policy
 * panel sets them (development only) so a developer can watch a 20-second access token expire,
 * or a zero-second grace window turn a lost response into a sign-out, without restarting the
 * server or touching anyone else's session.
 *
 * IMPORTANT: an override can only shorten. Every reader goes through `effectiveSessionPolicy`,
 * which takes min(override, current default) at the moment of use, so an override stored while
 * a default was larger never outlives a configuration change that lowered it, and a session can
 * never be made to live longer than the server allows.
 *
 * Who reads what:
 * - `accessTokenTtlSeconds`: `signAccessTokenForSession`, for every token issued to the session
 *   (login, register, refresh) — so a change shows from the next refresh.
 * - `refreshGraceSeconds`: `rotateRefreshToken`, when it decides GRACE or REUSED.
 * - `idleTimeoutSeconds`: `rotateRefreshToken`, when it moves the idle expiry forward; and
 *   `setSessionPolicy`, which re-times the idle expiry from now.
 */
import { currentTime } from "@/lib/auth/clock";
import { SessionExpired, SessionNotFound } from "@/lib/auth/errors";
import { type SignedAccessToken, signAccessToken } from "@/lib/auth/tokens";
import { getDb } from "@/lib/db/client";
import type { Session } from "@/lib/db/generated/client";
import { type Env, getEnv } from "@/lib/env";
import type { SessionPolicy, SessionPolicyOverrides } from "@/lib/validation/session-policy";

export type { SessionPolicy, SessionPolicyOverrides };

type PolicyColumns = Pick<
  Session,
  "accessTokenTtlSeconds" | "refreshGraceSeconds" | "idleTimeoutSeconds"
>;

/**
 * The server's own lifetimes, from configuration.
 *
 * @example
 * defaultSessionPolicy(); // { accessTokenTtlSeconds: 300, refreshGraceSeconds: 300, idleTimeoutSeconds: 604800 }
 */
export function defaultSessionPolicy(env: Env = getEnv()): SessionPolicy {
  return {
    accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    refreshGraceSeconds: env.REFRESH_GRACE_SECONDS,
    idleTimeoutSeconds: env.SESSION_IDLE_TIMEOUT_SECONDS,
  };
}

/**
 * The lifetimes that apply to `session` now: each override, capped by the current default.
 *
 * @example
 * effectiveSessionPolicy(session).refreshGraceSeconds; // 0 after the panel set it to 0
 */
export function effectiveSessionPolicy(session: PolicyColumns, env: Env = getEnv()): SessionPolicy {
  const defaults = defaultSessionPolicy(env);
  const pick = (override: number | null, fallback: number) =>
    override === null ? fallback : Math.min(override, fallback);
  return {
    accessTokenTtlSeconds: pick(session.accessTokenTtlSeconds, defaults.accessTokenTtlSeconds),
    refreshGraceSeconds: pick(session.refreshGraceSeconds, defaults.refreshGraceSeconds),
    idleTimeoutSeconds: pick(session.idleTimeoutSeconds, defaults.idleTimeoutSeconds),
  };
}

/** The stored overrides of a session (`null`: the server default). */
export function sessionPolicyOverrides(session: PolicyColumns): SessionPolicyOverrides {
  return {
    accessTokenTtlSeconds: session.accessTokenTtlSeconds,
    refreshGraceSeconds: session.refreshGraceSeconds,
    idleTimeoutSeconds: session.idleTimeoutSeconds,
  };
}

/**
 * Whether the policy panel may change sessions: exactly when the inspector's scenarios are on
 * (a local server by default, see AUTH_DEV_SCENARIOS in lib/env.ts), never on a public deployment.
 */
export function isSessionPolicyPanelEnabled(env: Env = getEnv()): boolean {
  return env.devScenariosEnabled && !env.isPublicDeployment;
}

/**
 * Stores a live session's overrides (validate them first with `buildSessionPolicySchema`) and
 * re-times its idle expiry from now with the new idle timeout, capped by the absolute expiry.
 * Throws SessionNotFound when the session is not the user's or has been revoked, and
 * SessionExpired when it is already past its idle or absolute expiry.
 *
 * IMPORTANT: only a live session may be re-timed. Moving the idle expiry of an expired session
 * forward would bring it back to life: its refresh token would work again.
 *
 * @example
 * await setSessionPolicy(userId, sid, { accessTokenTtlSeconds: 20, refreshGraceSeconds: 0, idleTimeoutSeconds: null });
 */
export async function setSessionPolicy(
  userId: string,
  sessionId: string,
  overrides: SessionPolicyOverrides,
): Promise<Session> {
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
  return db.session.findUniqueOrThrow({ where: { id: sessionId } });
}

/**
 * Signs the access token for a session's login or refresh answer, with the session's effective
 * lifetime. Sessions on the default policy (all of them, outside development) get exactly
 * `signAccessToken`'s token.
 *
 * A shorter lifetime only moves `exp` earlier (never backdates `iat`: the inspector shows
 * `iat`, and it must be the true issue time).
 *
 * @example
 * const access = await signAccessTokenForSession({ userId: user.id, session });
 */
export async function signAccessTokenForSession(subject: {
  userId: string;
  session: Pick<Session, "id"> & PolicyColumns;
}): Promise<SignedAccessToken> {
  const env = getEnv();
  const { accessTokenTtlSeconds } = effectiveSessionPolicy(subject.session, env);
  return signAccessToken({
    userId: subject.userId,
    sessionId: subject.session.id,
    ttlSeconds: accessTokenTtlSeconds,
  });
}
