import "server-only";

/**
 * "Expire my access token now" (the dashboard's and the inspector's button): a real access token
 * for the caller's own session that has already expired. The client decides "expired" by its own
 * clock, the server by its own, so no browser-side trick makes the server refuse a token it
 * issued a minute ago; this has `signAccessToken` itself sign one under a clock moved back one
 * lifetime and a few seconds: real key, real claims, refused by the real verifier with
 * `token_expired`.
 *
 * Not a development tool and behind no flag: a token the verifier refuses grants nothing, it
 * names only the session whose valid token the caller already presented, and the caller could
 * get the same refusal by waiting out its own token.
 */
import { runWithClockOffset } from "@/lib/auth/clock";
import { type AccessTokenClaims, type SignedAccessToken, signAccessToken } from "@/lib/auth/tokens";
import { getEnv } from "@/lib/env";

/** How far in the past the token expired: beyond the verifier's 1 s tolerance. */
export const EXPIRED_TOKEN_AGE_SECONDS = 5;

/**
 * An access token for the caller's session that expired EXPIRED_TOKEN_AGE_SECONDS ago.
 *
 * @example
 * const { accessToken } = await signExpiredAccessToken(claims); // verifyAccessToken → token_expired
 */
export async function signExpiredAccessToken(
  caller: Pick<AccessTokenClaims, "sub" | "sid" | "cnf">,
): Promise<SignedAccessToken> {
  const backMs = (getEnv().ACCESS_TOKEN_TTL_SECONDS + EXPIRED_TOKEN_AGE_SECONDS) * 1000;
  return runWithClockOffset(-backMs, () =>
    signAccessToken({ userId: caller.sub, sessionId: caller.sid, jkt: caller.cnf?.jkt }),
  );
}
