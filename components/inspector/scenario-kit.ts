/**
 * What the inspector's scenarios share: the verdict they return, what they are given, and small
 * readers of the wrapper's event log (by type and data, never by wording).
 */
import type { AuthClient } from "@/lib/client/auth-client";
import {
  type AuthEvent,
  type AuthEventOf,
  type AuthEventType,
  isEventOf,
} from "@/lib/client/auth-events";
import { authStore } from "@/lib/client/auth-store";
import type { AuthDevtools } from "@/lib/client/devtools";
import {
  API_PATH,
  type DevScenarioId,
  expiredAccessTokenBodySchema,
  type SessionView,
} from "@/lib/contract";

/** One line of a verdict's checklist. */
export interface Check {
  expected: string;
  observed: string;
  ok: boolean;
}

/** The figures a verdict was made from: on the verdict box and its timeline marker as data. */
export type VerdictFacts = Record<string, string | number | boolean>;

export interface Verdict {
  tone: "ok" | "warn" | "error";
  /** Expected against observed, shown before `text`. */
  checks: Check[];
  facts: VerdictFacts;
  /** One line for the timeline's scenario marker. */
  summary: string;
  /** What happened and why, for the page. */
  text: string;
}

export interface ScenarioContext {
  client: AuthClient;
  /** The wrapper's devtools controls (lib/client/devtools.ts). */
  devtools: AuthDevtools;
  /** AUTH_DEV_SCENARIOS on this server (replay and lose need it). */
  devScenarios: boolean;
  /** Re-reads the server's view of the session (and shows it). */
  reloadView(): Promise<SessionView | null>;
  /** Shows a server view obtained some other way. */
  showView(view: SessionView): void;
  /** The status line while a scenario runs. */
  progress(text: string): void;
}

/** Sequence number of the newest event: a mark to read "what happened since" from. */
export const lastSeq = () => authStore.getState().events.at(-1)?.seq ?? 0;

export const eventsAfter = (seq: number): AuthEvent[] =>
  authStore.getState().events.filter((e) => e.seq > seq);

export const count = (events: AuthEvent[], type: AuthEventType) =>
  events.filter((e) => e.type === type).length;

export const firstOf = <T extends AuthEventType>(events: AuthEvent[], type: T) =>
  events.find(isEventOf(type)) as AuthEventOf<T> | undefined;

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A note in the timeline, tied to the scenario that wrote it. */
export function note(
  ctx: ScenarioContext,
  scenario: DevScenarioId,
  text: string,
  facts?: VerdictFacts,
): void {
  ctx.devtools.annotate({ marker: "note", scenario, text, ...(facts && { facts }) });
}

/** Has the server sign an expired token for this session and makes the wrapper hold it. */
export async function holdExpiredToken(ctx: ScenarioContext): Promise<void> {
  ctx.progress("Asking the server for an already-expired access token of this session…");
  const { accessToken } = await ctx.client.apiJson(
    API_PATH.expiredAccessToken,
    expiredAccessTokenBodySchema,
    { method: "POST" },
  );
  ctx.devtools.replaceAccessToken(accessToken);
}
