import { NextResponse } from "next/server";
import { toPublicUser } from "@/lib/auth/accounts";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { AccessTokenInvalid } from "@/lib/auth/errors";
import { getDb } from "@/lib/db/client";
import { withErrorHandling } from "@/lib/http/respond";

/** GET /api/me (Bearer) → { user }. */
export const GET = withErrorHandling(async (request) => {
  const { sub } = await authenticateRequest(request);
  const db = await getDb();
  const user = await db.user.findUnique({ where: { id: sub } });
  // A validly signed token for a user that no longer exists.
  if (!user) throw new AccessTokenInvalid();
  return NextResponse.json({ user: toPublicUser(user) });
});
