import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { assertLiveSession } from "@/lib/auth/live-session";
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

/**
 * DELETE /api/auth/sessions/{id} (Bearer) → 204; revokes one of the caller's sessions.
 * Sensitive: 401 `session_revoked` unless the caller's own session is live (lib/auth/live-session.ts).
 */
export const DELETE = withErrorHandling<Context>(async (request, { params }) => {
  const claims = await authenticateRequest(request);
  const sessionId = await readSessionId(params);
  await assertLiveSession(claims);
  await revokeUserSession(claims.sub, sessionId);
  return new NextResponse(null, { status: 204 });
});
