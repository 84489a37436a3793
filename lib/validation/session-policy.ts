/**
 * The inspector's policy panel: per-session lifetimes that may only be shorter than the server's.
 * Pure (no server imports), so the panel's form and the route handler check the same bounds.
 */
import { z } from "zod";

/** The three lifetimes a session may run shorter than the server's defaults, in seconds. */
export type SessionPolicy = {
  accessTokenTtlSeconds: number;
  refreshGraceSeconds: number;
  idleTimeoutSeconds: number;
};

/** `null` means "the server default". */
export type SessionPolicyOverrides = { [K in keyof SessionPolicy]: number | null };

export const SESSION_POLICY_FIELDS = [
  "accessTokenTtlSeconds",
  "refreshGraceSeconds",
  "idleTimeoutSeconds",
] as const satisfies ReadonlyArray<keyof SessionPolicy>;

/**
 * The floor of each override. A 5-second access token still leaves the client time to use it
 * (it treats a token as expired 2 s early); an idle timeout under 30 s would end the session
 * between two proactive refreshes.
 */
export const SESSION_POLICY_MINIMUMS: SessionPolicy = {
  accessTokenTtlSeconds: 5,
  refreshGraceSeconds: 0,
  idleTimeoutSeconds: 30,
};

/**
 * The body of `PUT /api/auth/sessions/current/policy`: each field a whole number of seconds
 * between its minimum and the server default, or `null` to go back to the default.
 *
 * @example
 * const schema = buildSessionPolicySchema({ accessTokenTtlSeconds: 300, refreshGraceSeconds: 300, idleTimeoutSeconds: 604800 });
 * schema.parse({ accessTokenTtlSeconds: 20, refreshGraceSeconds: null, idleTimeoutSeconds: null });
 */
export function buildSessionPolicySchema(defaults: SessionPolicy) {
  const field = (name: keyof SessionPolicy) => {
    const max = defaults[name];
    // A server whose default is already below the floor (the e2e server's 3-s tokens) allows
    // only its default.
    const min = Math.min(SESSION_POLICY_MINIMUMS[name], max);
    return z
      .number({ error: "Enter a whole number of seconds." })
      .int("Enter a whole number of seconds.")
      .min(min, `At least ${min} s.`)
      .max(max, `At most ${max} s (the server default): a session can only be made shorter.`)
      .nullable();
  };
  return z.strictObject({
    accessTokenTtlSeconds: field("accessTokenTtlSeconds"),
    refreshGraceSeconds: field("refreshGraceSeconds"),
    idleTimeoutSeconds: field("idleTimeoutSeconds"),
  });
}
