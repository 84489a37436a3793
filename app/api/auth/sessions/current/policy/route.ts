import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { DevScenariosDisabled } from "@/lib/auth/dev-scenarios";
import { describeSession } from "@/lib/auth/session-family";
import {
  defaultSessionPolicy,
  isSessionPolicyPanelEnabled,
  setSessionPolicy,
} from "@/lib/auth/session-policy";
import { readJsonBody } from "@/lib/http/body";
import { withErrorHandling } from "@/lib/http/respond";
import { buildSessionPolicySchema } from "@/lib/validation/session-policy";

/**
 * PUT /api/auth/sessions/current/policy (Bearer) {accessTokenTtlSeconds, refreshGraceSeconds,
 * idleTimeoutSeconds} (each seconds or null for the default) → { session }. Shortens this
 * session's lifetimes: the inspector's policy panel. Only in development or with
 * AUTH_DEV_SCENARIOS=1, never on a public deployment (404 `not_found` otherwise); values above
 * the server defaults are refused (400).
 */
export const PUT = withErrorHandling(async (request) => {
  if (!isSessionPolicyPanelEnabled()) throw new DevScenariosDisabled();
  const { sub: userId, sid } = await authenticateRequest(request);
  const overrides = await readJsonBody(request, buildSessionPolicySchema(defaultSessionPolicy()));
  await setSessionPolicy(userId, sid, overrides);
  return NextResponse.json({ session: await describeSession(userId, sid) });
});
