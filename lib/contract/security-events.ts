/**
 * The signed-in user's own security events (`GET /api/auth/events`), newest first: what the
 * sessions page shows under "Recent security activity". Stored in `auth_events`
 * (lib/auth/security-events.ts); the operator's log of every event is lib/ops/events.ts.
 */
import { z } from "zod";

export const SECURITY_EVENT_KIND = {
  /** A new session: a sign-in (or the account's first, at registration). */
  signedIn: "signed_in",
  /** A spent refresh token came back: its session (the family) was revoked. */
  reuseDetected: "reuse_detected",
  /** The password changed; every other session ended with it. */
  passwordChanged: "password_changed",
  /** A session ended by request: logout, revoked from the sessions page, log out everywhere. */
  sessionRevoked: "session_revoked",
} as const;

export const SECURITY_EVENT_KINDS = [
  SECURITY_EVENT_KIND.signedIn,
  SECURITY_EVENT_KIND.reuseDetected,
  SECURITY_EVENT_KIND.passwordChanged,
  SECURITY_EVENT_KIND.sessionRevoked,
] as const;

export type SecurityEventKind = (typeof SECURITY_EVENT_KINDS)[number];

/** How many events the API returns at most. */
export const SECURITY_EVENTS_LIMIT = 50;

export const securityEventSchema = z.object({
  id: z.string(),
  /** Unknown future kinds still parse; the page shows them generically. */
  kind: z.string(),
  /** A REVOKE_REASON, a reuse reason, or null. */
  reason: z.string().nullable(),
  /** A coarse device label ("Chrome on Linux"), or null when the device sent none. */
  device: z.string().nullable(),
  /** True when the event names the session this request came from. */
  current: z.boolean(),
  /** ISO time. */
  createdAt: z.string(),
});

export type SecurityEvent = z.infer<typeof securityEventSchema>;

export const securityEventsBodySchema = z.object({ events: z.array(securityEventSchema) });
