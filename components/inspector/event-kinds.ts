/**
 * How the timeline groups and names the fetch wrapper's events (lib/client/auth-store.ts). A
 * `Record` over every event type, so a new type cannot be added without a place here.
 */
import type { AuthEventType } from "@/lib/client/auth-store";

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
