import "server-only";

import { verifyAccessTokenProof } from "@/lib/auth/dpop";
import { AccessTokenInvalid, AccessTokenMissing, DpopProofRequired } from "@/lib/auth/errors";
import { getRevocationListener } from "@/lib/auth/revocation";
import { type AccessTokenClaims, verifyAccessToken } from "@/lib/auth/tokens";

/** `Authorization: Bearer <token>` or `Authorization: DPoP <token>` (RFC 9449 §7.1). */
const AUTHORIZATION = /^(Bearer|DPoP) +([^\s]+)\s*$/i;

/**
 * The caller of a protected route, from its `Authorization` header.
 *
 * Order of the checks, and what each answers (all 401):
 *   no header                              token_missing
 *   not `Bearer <t>` / `DPoP <t>`, bad t   token_invalid
 *   t past its `exp`                       token_expired (only this and the two above, and
 *                                          session_revoked, make the browser refresh silently)
 *   t bound (`cnf.jkt`) but sent as Bearer dpop_proof_required: a copied access token alone
 *                                          is useless (RFC 9449 §7.1)
 *   bound, `DPoP` scheme, no/bad proof     dpop_proof_required / invalid_dpop_proof (the proof
 *                                          checks: lib/auth/dpop.ts `verifyAccessTokenProof`)
 *   same proof again on this instance      dpop_proof_replayed
 *   t unbound, sent as `DPoP`              its proof checked all the same, except against a key
                                           (the browser signs whenever it holds a key; an unbound
                                           token, DPOP_BINDING or ACCESS_TOKEN_BINDING off, would
                                           pass as Bearer anyway)
 *   t's session revoked                    session_revoked
 *
 * No database read on the normal path: the signature and `exp` prove the token, the proof is
 * checked against the token's own `cnf.jkt`, and revocation is checked against the ids this
 * instance heard on the revocation channel (lib/auth/revocation.ts), an in-memory lookup. Only
 * while that channel is not caught up (starting, or reconnecting after a drop) is the session
 * read from the database, so a revoked session's token is refused within about a second on every
 * instance, and never accepted for lack of news. Nothing is written, whatever the answer.
 *
 * @example
 * const { sub: userId, sid: sessionId } = await authenticateRequest(request);
 */
export async function authenticateRequest(request: Request): Promise<AccessTokenClaims> {
  const header = request.headers.get("authorization");
  if (!header) throw new AccessTokenMissing();
  const match = AUTHORIZATION.exec(header);
  if (!match?.[1] || !match[2]) throw new AccessTokenInvalid();
  const scheme = match[1].toLowerCase();
  const token = match[2];
  const claims = await verifyAccessToken(token);
  const jkt = claims.cnf?.jkt;
  if (scheme === "dpop") {
    await verifyAccessTokenProof(request, token, jkt ?? null);
  } else if (jkt !== undefined) {
    throw new DpopProofRequired(BOUND_AS_BEARER);
  }
  await getRevocationListener().assertSessionLive(claims.sid);
  return claims;
}

const BOUND_AS_BEARER =
  "This access token is bound to the device's key: send it as `Authorization: DPoP` with a DPoP proof.";
