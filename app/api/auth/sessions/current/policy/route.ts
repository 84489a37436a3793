import { NextResponse } from "next/server";
import { defaultSessionPolicy } from "@/lib/auth/session-policy";
import { loadPolicyPanel } from "@/lib/dev/gate";
import { defineRoute } from "@/lib/http/route";
import { buildSessionPolicySchema } from "@/lib/validation/session-policy";

/**
 * PUT /api/auth/sessions/current/policy (Bearer) {accessTokenTtlSeconds, refreshGraceSeconds,
 * idleTimeoutSeconds} (each seconds or null for the default) → { session }. Shortens this
 * session's lifetimes: the inspector's policy panel. Only where the scenarios are on
 * (lib/dev/gate.ts), never on a public deployment (404 `not_found` otherwise); values above the
 * server defaults are refused (400).
 */
export const PUT = defineRoute(
  {
    auth: "bearer",
    dev: "policy-panel",
    body: () => buildSessionPolicySchema(defaultSessionPolicy()),
  },
  async ({ claims, body }) => {
    const { setSessionPolicy } = await loadPolicyPanel();
    return NextResponse.json({ session: await setSessionPolicy(claims.sub, claims.sid, body) });
  },
);
