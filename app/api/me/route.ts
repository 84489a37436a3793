import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { withErrorHandling } from "@/lib/http/respond";
import { getPublicUser } from "@/lib/users";

/** GET /api/me (Bearer) → { user }. */
export const GET = withErrorHandling(async (request) => {
  const { sub } = await authenticateRequest(request);
  return NextResponse.json({ user: await getPublicUser(sub) });
});
