import "server-only";

import { type PublicUser, toPublicUser } from "@/lib/auth/accounts";
import { AccessTokenInvalid } from "@/lib/auth/errors";
import { getDb } from "@/lib/db/client";

/**
 * The public view of the user an access token names. A validly signed token
 * for a user that no longer exists is an invalid token (401), not a 404.
 *
 * @example
 * const user = await getPublicUser(claims.sub);
 */
export async function getPublicUser(userId: string): Promise<PublicUser> {
  const db = await getDb();
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user) throw new AccessTokenInvalid();
  return toPublicUser(user);
}
