import { NextResponse } from "next/server";
import { describeSession } from "@/lib/auth/session-family";
import { defineRoute } from "@/lib/http/route";

/**
 * GET /api/auth/sessions/current (Bearer) → { session }: the server's view of the session the
 * access token names (`sid`): times, revocation, policy, and its refresh-token family as a tree of
 * states. Never a token or a hash. Answers for a revoked session too, while the access token lives.
 */
export const GET = defineRoute({ auth: "bearer" }, async ({ claims }) =>
  NextResponse.json({ session: await describeSession(claims.sub, claims.sid) }),
);
