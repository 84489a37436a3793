import "server-only";

import { AccessTokenExpired, AccessTokenInvalid, AccessTokenMissing } from "@/lib/auth/errors";
import { getRevocationListener } from "@/lib/auth/revocation";
import { type AccessTokenClaims, verifyAccessToken } from "@/lib/auth/tokens";

/**
 * The caller of a protected route, from its `Authorization: Bearer` header.
 * Throws AccessTokenMissing / AccessTokenExpired / AccessTokenInvalid (the
 * 401s a client answers with a silent refresh), or SessionRevoked (401
 * SessionRevoked) when the token's session has been revoked.
 *
 * No database read on the normal path: the signature and `exp` prove the
 * token, and revocation is checked against the ids this instance heard on the
 * revocation channel (lib/auth/revocation.ts), an in-memory lookup. Only while
 * that channel is not caught up (starting, or reconnecting after a drop) is
 * the session read from the database, so a revoked session's token is refused
 * within about a second on every instance, and never accepted for lack of news.
 *
 * @example
 * const { sub: userId, sid: sessionId } = await authenticateRequest(request);
 */
export async function authenticateRequest(request: Request): Promise<AccessTokenClaims> {
  const header = request.headers.get("authorization");
  if (!header) throw new AccessTokenMissing();
  const match = /^Bearer +([^\s]+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AccessTokenInvalid();
  const claims = await verifyAccessToken(match[1]);
  await getRevocationListener().assertSessionLive(claims.sid);
  return claims;
}

/**
 * The claims of the request's `Authorization: Bearer` token when it verifies (signature, issuer,
 * audience, type, `exp`), otherwise null: missing, malformed, forged and expired tokens all give
 * null, and a revoked session's token still gives its claims. Never refuses the request.
 *
 * For logout, which must never fail for want of a good access token: there the claims only
 * narrow which sessions end (the caller's user's), so a token that does not verify can only make
 * logout end more, never fewer, of the sessions its cookies name.
 *
 * @example
 * const claims = await readVerifiedBearer(request); // null without a valid token
 */
export async function readVerifiedBearer(request: Request): Promise<AccessTokenClaims | null> {
  const match = /^Bearer +([^\s]+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  if (!match?.[1]) return null;
  try {
    return await verifyAccessToken(match[1]);
  } catch (error) {
    if (error instanceof AccessTokenExpired || error instanceof AccessTokenInvalid) return null;
    throw error;
  }
}
