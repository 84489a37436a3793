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
 *   the policy panel (lib/dev/policy-panel.ts), which re-times the idle expiry from now.
 *
 * Reading a policy is production code (every rotation does); writing one is the panel's, a
 * development tool behind lib/dev/gate.ts.
 */
import { type SignedAccessToken, signAccessToken } from "@/lib/auth/tokens";
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
  session: Pick<Session, "id"> & Partial<Pick<Session, "dpopJkt">> & PolicyColumns;
}): Promise<SignedAccessToken> {
  const env = getEnv();
  const { accessTokenTtlSeconds } = effectiveSessionPolicy(subject.session, env);
  return signAccessToken({
    userId: subject.userId,
    sessionId: subject.session.id,
    ttlSeconds: accessTokenTtlSeconds,
    // A bound session's access tokens are bound to the same key, unless ACCESS_TOKEN_BINDING=off.
    jkt: env.ACCESS_TOKEN_BINDING === "on" ? subject.session.dpopJkt : null,
  });
}
