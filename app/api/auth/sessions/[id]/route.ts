import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { revokeUserSession } from "@/lib/auth/sessions";
import { InvalidRequest } from "@/lib/http/errors";
import { withErrorHandling } from "@/lib/http/respond";
import { sessionIdSchema } from "@/lib/validation/auth";

type Context = { params: Promise<{ id: string }> };

/** DELETE /api/auth/sessions/{id} (Bearer) → 204; revokes one of the caller's sessions. */
export const DELETE = withErrorHandling<Context>(async (request, { params }) => {
  const { sub: userId } = await authenticateRequest(request);
  const id = sessionIdSchema.safeParse((await params).id);
  if (!id.success) throw new InvalidRequest(undefined, { id: ["Not a session id."] });
  await revokeUserSession(userId, id.data);
  return new NextResponse(null, { status: 204 });
});
