/**
 * Tabs share the refresh cookie, not memory. This module keeps their memories in step over a
 * BroadcastChannel: a tab that obtains a session (login, refresh, password change) posts it, and a
 * tab whose session ends posts why.
 *
 * The access token rides along so a waiting tab need not refresh; a BroadcastChannel is
 * same-origin and in-memory, so this adds no place the token could leak from.
 *
 * What a receiving tab does:
 *   session, same user, authenticated   adopt it, unless it dies sooner than ours (messages can
 *                                       arrive out of order; equal expiry is a tie, not "older")
 *   session, otherwise                  start it (a login in another tab)
 *   signed_out, we are signed out       nothing: keep the reason we have
 *   signed_out, otherwise               end ours (logged out there: `loggedOutElsewhere` here);
 *                                       leave the page only if it was showing a session
 */
import { z } from "zod";
import {
  publicUserSchema,
  REFRESH_REJECTION_CODES,
  SIGN_OUT_REASON,
  type SignOutReason,
} from "@/lib/contract";
import { type AuthEventData, type BroadcastSummary, fingerprint } from "./auth-events";
import { type AuthStore, type SessionSnapshot, startSession, updateSession } from "./auth-store";
import type { BroadcastChannelLike } from "./browser-adapters";
import { describeError } from "./wire";
import type { SignOut } from "./sign-out";

/** What tabs tell each other. */
export type AuthBroadcast =
  { type: "session"; session: SessionSnapshot } | { type: "signed_out"; reason: SignOutReason };

/** Messages come from same-origin tabs, possibly running an older build: check the shape anyway. */
const authBroadcastSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("session"),
    session: z.object({
      user: publicUserSchema,
      accessToken: z.string(),
      issuedAt: z.number(),
      expiresAt: z.number(),
    }),
  }),
  z.object({
    type: z.literal("signed_out"),
    reason: z.enum([...REFRESH_REJECTION_CODES, SIGN_OUT_REASON.loggedOut]),
  }),
]);

/**
 * A message from another tab, or null when it is not one of ours.
 *
 * @example
 * readBroadcast({ type: "signed_out", reason: SIGN_OUT_REASON.loggedOut }); // the same, typed
 */
export function readBroadcast(data: unknown): AuthBroadcast | null {
  const parsed = authBroadcastSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}

export interface TabSync {
  /** Tells the other tabs; a channel that throws is logged, never fatal. */
  broadcast(message: AuthBroadcast): void;
  start(): void;
  stop(): void;
}

export interface TabSyncOptions {
  channel: BroadcastChannelLike | null;
  store: AuthStore;
  record(data: AuthEventData): void;
  signOut: SignOut;
  /** After this tab took another tab's session (re-arm the proactive refresh). */
  onAdopted(): void;
}

/**
 * @example
 * const tabs = createTabSync({ channel, store, record, signOut, onAdopted: schedule });
 * tabs.start();
 * tabs.broadcast({ type: "session", session });
 */
export function createTabSync(options: TabSyncOptions): TabSync {
  const { channel, store, record, signOut } = options;

  function receive(event: { data: unknown }): void {
    const message = readBroadcast(event.data);
    if (!message) return;
    record({ type: "broadcast_received", message: summarize(message) });
    const state = store.getState();

    if (message.type === "session") {
      const { session } = message;
      if (state.status === "authenticated" && state.user?.id === session.user.id) {
        if (session.accessToken === state.accessToken) return;
        if ((state.accessTokenExpiresAt ?? 0) > session.expiresAt) return;
        updateSession(store, session, state.epoch);
      } else {
        startSession(store, session);
      }
      record({
        type: "token_adopted",
        source: "other_tab",
        token: fingerprint(session.accessToken),
      });
      options.onAdopted();
      return;
    }

    // Still "unknown" (restoring): end it too, so the epoch bump drops the restore's result.
    if (state.status === "signed_out") return;
    const reason =
      message.reason === SIGN_OUT_REASON.loggedOut
        ? SIGN_OUT_REASON.loggedOutElsewhere
        : message.reason;
    signOut.end(reason);
    if (state.status === "authenticated") signOut.leave("other_tab", reason);
  }

  return {
    broadcast(message) {
      if (!channel) return;
      try {
        channel.postMessage(message);
        record({ type: "broadcast_sent", message: summarize(message) });
      } catch (error) {
        record({
          type: "broadcast_sent",
          message: summarize(message),
          error: describeError(error),
        });
      }
    },
    start() {
      channel?.addEventListener("message", receive);
    },
    stop() {
      channel?.removeEventListener("message", receive);
    },
  };
}

function summarize(message: AuthBroadcast): BroadcastSummary {
  return message.type === "session"
    ? { kind: "session", token: fingerprint(message.session.accessToken) }
    : { kind: "signed_out", reason: message.reason };
}
