import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { describeSession } from "@/lib/auth/session-family";
import { revokeUserSession } from "@/lib/auth/sessions";
import { InvalidRequest } from "@/lib/http/errors";
import { withErrorHandling } from "@/lib/http/respond";
import { sessionIdSchema } from "@/lib/validation/auth";

type Context = { params: Promise<{ id: string }> };

async function readSessionId(params: Context["params"]): Promise<string> {
  const id = sessionIdSchema.safeParse((await params).id);
  if (!id.success) throw new InvalidRequest(undefined, { id: ["Not a session id."] });
  return id.data;
}

/**
 * GET /api/auth/sessions/{id} (Bearer) → { session }: the server's view of one of the caller's
 * sessions, live or ended, with its refresh-token family (lib/auth/session-family.ts). 404
 * `session_not_found` for ids that are not the caller's.
 */
export const GET = withErrorHandling<Context>(async (request, { params }) => {
  const { sub: userId } = await authenticateRequest(request);
  return NextResponse.json({ session: await describeSession(userId, await readSessionId(params)) });
});

/** DELETE /api/auth/sessions/{id} (Bearer) → 204; revokes one of the caller's sessions. */
export const DELETE = withErrorHandling<Context>(async (request, { params }) => {
  const { sub: userId } = await authenticateRequest(request);
  await revokeUserSession(userId, await readSessionId(params));
  return new NextResponse(null, { status: 204 });
});
