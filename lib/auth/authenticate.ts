import "server-only";

import { AccessTokenInvalid, AccessTokenMissing } from "@/lib/auth/errors";
import { type AccessTokenClaims, verifyAccessToken } from "@/lib/auth/tokens";

/**
 * The caller of a protected route, from its `Authorization: Bearer` header.
 * Throws AccessTokenMissing / AccessTokenExpired / AccessTokenInvalid: the only
 * 401s a client answers with a silent refresh.
 *
 * Stateless by design: a valid signature and `exp` are enough, with no database
 * read, so an access token outlives a revoked session by at most its lifetime
 * (ACCESS_TOKEN_TTL_SECONDS). That is the trade-off that makes it cheap.
 *
 * @example
 * const { sub: userId, sid: sessionId } = await authenticateRequest(request);
 */
export async function authenticateRequest(request: Request): Promise<AccessTokenClaims> {
  const header = request.headers.get("authorization");
  if (!header) throw new AccessTokenMissing();
  const match = /^Bearer +([^\s]+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AccessTokenInvalid();
  return verifyAccessToken(match[1]);
}
