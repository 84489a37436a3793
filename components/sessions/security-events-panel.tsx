"use client";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { useNow } from "@/components/inspector/use-now";
import { useApiResource } from "@/lib/client/use-api-resource";
import {
  API_PATH,
  REVOKE_REASON,
  SECURITY_EVENT_KIND,
  type SecurityEvent,
  securityEventsBodySchema,
} from "@/lib/contract";

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

const STEPS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.35],
  ["month", 12],
  ["year", Infinity],
];

/** "2 minutes ago", "yesterday": the largest unit that keeps the number small. */
function formatAgo(iso: string, now: number): string {
  let value = (new Date(iso).getTime() - now) / 1000;
  if (Math.abs(value) < 10) return "just now";
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return absolute.format(new Date(iso));
}

const REVOKED_BY: Record<string, string> = {
  [REVOKE_REASON.logout]: "Signed out",
  [REVOKE_REASON.revokedByUser]: "Session revoked",
  [REVOKE_REASON.logoutEverywhere]: "Signed out everywhere",
};

/** What a person reads for one event: a title, and what to do if it was not them. */
function describeEvent(event: SecurityEvent): { title: string; detail?: string; alarm?: boolean } {
  const device = event.device ?? "an unknown device";
  switch (event.kind) {
    case SECURITY_EVENT_KIND.signedIn:
      return { title: `New sign-in on ${device}` };
    case SECURITY_EVENT_KIND.reuseDetected:
      return {
        title: `Old sign-in token reused: ${device} signed out`,
        detail:
          "A refresh token of that session came back after it had been replaced, so a copy of it may exist. The session was ended on every copy. If you did not expect this, change your password.",
        alarm: true,
      };
    case SECURITY_EVENT_KIND.passwordChanged:
      return {
        title: `Password changed on ${device}`,
        detail: "Every other session was signed out.",
      };
    case SECURITY_EVENT_KIND.sessionRevoked:
      // Device binding (lib/auth/dpop.ts): the cookie came back signed by another key.
      if (event.reason === REVOKE_REASON.dpopKeyMismatch) {
        return {
          title: `Sign-in used from another device: ${device} signed out`,
          detail:
            "That session's refresh token was presented without this browser's device key, so a copy of it may exist. The session was ended. If you did not expect this, change your password.",
          alarm: true,
        };
      }
      return {
        title: event.device
          ? `${REVOKED_BY[event.reason ?? ""] ?? "Session ended"}: ${event.device}`
          : (REVOKED_BY[event.reason ?? ""] ?? "Session ended"),
      };
    default:
      return { title: "Account activity" };
  }
}

/**
 * The signed-in user's own recent security events (GET /api/auth/events, newest first): new
 * sign-ins, a reused refresh token and which device it ended, password changes, revocations.
 * Something unexpected here is the reason to revoke a session or change the password.
 */
export function SecurityEventsPanel() {
  const resource = useApiResource(
    API_PATH.securityEvents,
    securityEventsBodySchema,
    "Could not load your recent activity.",
  );
  const now = useNow(30_000);
  const events = resource.data?.events ?? null;
  return (
    <Card
      title="Recent security activity"
      description="Sign-ins, sign-outs and password changes on your account, newest first."
      actions={
        <Button variant="secondary" onClick={resource.reload}>
          Refresh
        </Button>
      }
    >
      {resource.error && <Alert tone="error">{resource.error}</Alert>}
      {!events && !resource.error && (
        <p className="text-sm text-slate-500">Loading recent activity…</p>
      )}
      {events && events.length === 0 && (
        <p className="text-sm text-slate-500" data-testid="security-events-empty">
          Nothing yet. New sign-ins and password changes will show up here.
        </p>
      )}
      {events && events.length > 0 && (
        <ul className="divide-y divide-slate-100" data-testid="security-events">
          {events.map((event) => {
            const { title, detail, alarm } = describeEvent(event);
            return (
              <li
                key={event.id}
                data-testid="security-event"
                data-kind={event.kind}
                className="py-3"
              >
                <p
                  className={`flex flex-wrap items-center gap-2 text-sm font-medium ${alarm ? "text-red-800" : "text-slate-900"}`}
                >
                  {title}
                  {event.current && (
                    <span className="rounded-full bg-brand-50 px-2 py-0.5 text-xs font-medium text-brand-700 ring-1 ring-inset ring-brand-100">
                      This device
                    </span>
                  )}
                </p>
                <p className="mt-0.5 text-xs text-slate-500">
                  <time
                    dateTime={event.createdAt}
                    title={absolute.format(new Date(event.createdAt))}
                  >
                    {formatAgo(event.createdAt, now)}
                  </time>
                  {detail && <> · {detail}</>}
                </p>
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}
