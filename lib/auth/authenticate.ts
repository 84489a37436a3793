import "server-only";

import { AccessTokenInvalid, AccessTokenMissing } from "@/lib/auth/errors";
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
