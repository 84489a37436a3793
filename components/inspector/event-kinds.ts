/**
 * How the timeline groups, words and marks the fetch wrapper's events (lib/client/auth-events.ts).
 * The wording is made here, from each event's data; the data itself also goes on the entry as
 * `data-*` attributes (`eventAttributes`), which is what tests read. `Record`s over every event
 * type, so a new type cannot be added without a place here.
 */
import type { AuthEvent, AuthEventType, BroadcastSummary } from "@/lib/client/auth-events";

export type EventCategory = "requests" | "refresh" | "tabs" | "session" | "scenario";

export const EVENT_CATEGORIES: ReadonlyArray<{ id: EventCategory; label: string }> = [
  { id: "requests", label: "Requests, 401s and retries" },
  { id: "refresh", label: "Refreshes and rotation" },
  { id: "tabs", label: "Cross-tab messages" },
  { id: "session", label: "Login, logout, reuse" },
  { id: "scenario", label: "Scenario markers" },
];

export const EVENT_KINDS: Record<
  AuthEventType,
  { category: EventCategory; tone: "neutral" | "ok" | "warn" | "bad" | "info" }
> = {
  request: { category: "requests", tone: "neutral" },
  request_proof: { category: "requests", tone: "neutral" },
  unauthorized: { category: "requests", tone: "warn" },
  retry: { category: "requests", tone: "ok" },
  retry_result: { category: "requests", tone: "ok" },
  refresh_start: { category: "refresh", tone: "info" },
  attempt_failed: { category: "refresh", tone: "warn" },
  refresh_end: { category: "refresh", tone: "info" },
  rotation: { category: "refresh", tone: "ok" },
  token_adopted: { category: "refresh", tone: "ok" },
  stale_result_ignored: { category: "refresh", tone: "warn" },
  lock_acquired: { category: "refresh", tone: "neutral" },
  lock_timeout: { category: "refresh", tone: "warn" },
  proactive_refresh: { category: "refresh", tone: "info" },
  token_replaced: { category: "refresh", tone: "warn" },
  dpop_proof: { category: "refresh", tone: "neutral" },
  dpop_nonce_retry: { category: "refresh", tone: "info" },
  broadcast_sent: { category: "tabs", tone: "neutral" },
  broadcast_received: { category: "tabs", tone: "info" },
  login: { category: "session", tone: "ok" },
  logout: { category: "session", tone: "neutral" },
  signed_out: { category: "session", tone: "bad" },
  reuse_detected: { category: "session", tone: "bad" },
  scenario: { category: "scenario", tone: "info" },
};

export const TONE_CLASSES = {
  neutral: "bg-slate-100 text-slate-700 ring-slate-200",
  ok: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  warn: "bg-amber-50 text-amber-800 ring-amber-200",
  bad: "bg-red-50 text-red-800 ring-red-200",
  info: "bg-brand-50 text-brand-700 ring-brand-100",
} as const;

/** The kind of an event saved by another build: unknown types read as scenario markers. */
export function kindOf(event: AuthEvent) {
  return EVENT_KINDS[event.type] ?? EVENT_KINDS.scenario;
}

const TOKEN_SOURCES = {
  another_request: "another request refreshed first",
  lock_wait: "another tab refreshed while we waited for the lock",
  other_tab: "from another tab",
} as const;

/**
 * The entry's text, for people.
 *
 * @example
 * describeEvent({ seq: 1, at: 0, type: "unauthorized", path: "/api/me", code: ERROR_CODE.tokenExpired });
 * // "/api/me: " followed by the code
 */
export function describeEvent(event: AuthEvent): string {
  switch (event.type) {
    case "request":
      return `${event.method} ${event.path}`;
    case "unauthorized":
      return `${event.path}: ${event.code ?? "no code"}`;
    case "retry":
      return event.path;
    case "retry_result":
      return `${event.path}: ${event.status}`;
    case "refresh_start":
      return event.trigger;
    case "attempt_failed":
      return `${event.operation}: ${event.why}; retrying in ${event.retryInMs} ms`;
    case "refresh_end":
      switch (event.outcome) {
        case "refreshed":
          return "refreshed";
        case "adopted":
          return "adopted a token obtained elsewhere";
        case "signed_out":
          return `signed out: ${event.reason ?? "?"}`;
        case "stale":
          return "stale: the session changed while refreshing; result ignored";
        case "unavailable":
          return `gave up for now (${event.why ?? "?"}); session kept`;
      }
      return event.outcome;
    case "rotation":
      return event.cause === "password_change"
        ? `password changed; new session ${event.token}`
        : `new token ${event.token}`;
    case "token_adopted":
      return `${TOKEN_SOURCES[event.source] ?? event.source}: ${event.token}`;
    case "stale_result_ignored":
      return `started in epoch ${event.startedInEpoch}, now ${event.currentEpoch}`;
    case "lock_acquired":
      return `after ${event.waitedMs} ms`;
    case "lock_timeout":
      return `no lock after ${event.afterMs} ms; keeping the session`;
    case "reuse_detected":
      return "the server saw this refresh token spent twice";
    case "signed_out":
      return event.reason;
    case "login":
      return event.email;
    case "logout":
      return "";
    case "broadcast_sent":
      return `${describeBroadcast(event.message)}${event.error ? ` (failed: ${event.error})` : ""}`;
    case "broadcast_received":
      return describeBroadcast(event.message);
    case "proactive_refresh":
      return `token expires in ${Math.round(event.expiresInMs / 1000)} s`;
    case "token_replaced":
      return `now holding ${event.token}`;
    case "request_proof":
      return `${event.method} ${event.path} with token ${event.token}, proof signed by key ${event.key.slice(0, 12)}…, jti ${event.jti.slice(0, 8)}…`;
    case "dpop_proof":
      return `${event.path} signed by key ${event.key.slice(0, 12)}…, jti ${event.jti.slice(0, 8)}…${event.nonced ? "" : " (no nonce yet)"}`;
    case "dpop_nonce_retry":
      return "the server sent a newer nonce (or its time): signed again, once";
    case "scenario":
      return event.marker === "start"
        ? `▶ ${event.text}`
        : event.marker === "verdict"
          ? `verdict: ${event.text}`
          : event.text;
  }
}

function describeBroadcast(message: BroadcastSummary | undefined): string {
  if (!message) return "";
  return message.kind === "session" ? `session ${message.token}` : `signed out: ${message.reason}`;
}

/**
 * The event's data as `data-*` attributes (camelCase fields in kebab-case; nested summaries
 * flattened, `facts` as `data-fact-*`), so tests and tools read the data, not the wording.
 *
 * @example
 * eventAttributes(unauthorized); // { "data-type": "unauthorized", "data-path": "/api/me", "data-code": <the code> }
 */
export function eventAttributes(event: AuthEvent): Record<`data-${string}`, string> {
  const attributes: Record<`data-${string}`, string> = {};
  const put = (name: string, value: unknown) => {
    if (value === null || value === undefined) return;
    if (typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) put(`${name}-${key}`, inner);
      return;
    }
    attributes[`data-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`] = String(value);
  };
  for (const [key, value] of Object.entries(event)) {
    if (key === "seq" || key === "at" || key === "elapsed") continue;
    put(key === "facts" ? "fact" : key, value);
  }
  return attributes;
}
