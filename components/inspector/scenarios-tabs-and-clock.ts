/**
 * Scenarios that need nothing from the server: a second tab ("second-tab"), and a wrong clock
 * ("skew", pressed again to put it back).
 */
import { isEventOf } from "@/lib/client/auth-events";
import { authStore } from "@/lib/client/auth-store";
import { getPageClockSkew, restorePageClock, skewPageClock } from "@/lib/client/page-clock";
import { API_PATH, SIGN_OUT_REASON } from "@/lib/contract";
import { decodeJwt } from "jose";
import { formatDuration } from "./format";
import {
  type Check,
  count,
  eventsAfter,
  lastSeq,
  note,
  plural,
  type ScenarioContext,
  type Verdict,
} from "./scenario-kit";

export const CLOCK_SKEW_MS = 10 * 60_000;
const SECOND_TAB_TIMEOUT_MS = 20_000;

export function openSecondTab(): Promise<Verdict> {
  const mark = lastSeq();
  const opened = window.open("/inspector", "_blank");
  if (!opened) {
    return Promise.resolve({
      tone: "warn",
      checks: [],
      facts: { opened: false },
      summary: "the browser blocked the new tab",
      text: "The browser blocked the new tab. Allow pop-ups for this site, or open /inspector in another tab yourself.",
    });
  }
  return new Promise<Verdict>((resolve) => {
    const finish = (verdict: Verdict) => {
      clearTimeout(timeout);
      unsubscribe();
      resolve(verdict);
    };
    let heard = false;
    const check = () => {
      if (heard || !eventsAfter(mark).some((e) => e.type === "broadcast_received")) return;
      heard = true;
      // The store notifies us in the middle of the message handler; let it finish (it records
      // `token_adopted` right after `broadcast_received`) before reading the outcome.
      setTimeout(conclude, 0);
    };
    const conclude = () => {
      const adopted = eventsAfter(mark)
        .filter(isEventOf("token_adopted"))
        .some((e) => e.source === "other_tab");
      finish({
        tone: "ok",
        checks: [
          {
            expected: "the second tab restores the session and tells this one",
            observed: "broadcast_received",
            ok: true,
          },
          {
            expected: "this tab adopts that token instead of refreshing",
            observed: adopted ? "token_adopted" : "received, not adopted",
            ok: adopted,
          },
        ],
        facts: { opened: true, heard: true, adopted },
        summary: `second tab broadcast its session${adopted ? "; this tab adopted the token" : ""}`,
        text: `The second tab restored the session with one refresh, holding the cross-tab lock, and posted its new access token on the BroadcastChannel. This tab ${adopted ? "adopted it (broadcast_received → token_adopted) instead of refreshing" : "received it (broadcast_received)"}: no refresh token was spent twice. Now log out in either tab: the other follows at once (${SIGN_OUT_REASON.loggedOutElsewhere}).`,
      });
    };
    const unsubscribe = authStore.subscribe(check);
    const timeout = setTimeout(
      () =>
        finish({
          tone: "warn",
          checks: [
            {
              expected: "the second tab restores the session and tells this one",
              observed: "no message",
              ok: false,
            },
          ],
          facts: { opened: true, heard: false, adopted: false },
          summary: "no message from a second tab",
          text: `No message from a second tab within ${SECOND_TAB_TIMEOUT_MS / 1000} s.`,
        }),
      SECOND_TAB_TIMEOUT_MS,
    );
    check();
  });
}

/** The skew scenario: skews the clock, or puts it back when it is skewed. */
export function skewOrRestoreClock(ctx: ScenarioContext): Promise<Verdict> {
  return getPageClockSkew() === 0 ? skewClock(ctx) : restoreClock(ctx);
}

async function skewClock(ctx: ScenarioContext): Promise<Verdict> {
  skewPageClock(CLOCK_SKEW_MS);
  note(ctx, "skew", "this tab's clock now runs 10 minutes fast", { skewMs: CLOCK_SKEW_MS });
  const mark = lastSeq();
  ctx.progress(`Calling GET ${API_PATH.me} with the clock 10 minutes fast…`);
  const first = await ctx.client.apiFetch(API_PATH.me);
  const between = lastSeq();
  const second = await ctx.client.apiFetch(API_PATH.me);
  const refreshesFirst =
    count(eventsAfter(mark), "refresh_start") - count(eventsAfter(between), "refresh_start");
  const refreshesSecond = count(eventsAfter(between), "refresh_start");
  const unauthorized = count(eventsAfter(mark), "unauthorized");
  const token = authStore.getState().accessToken;
  const exp = token ? readExp(token) : null;
  const expAgo = exp !== null ? Date.now() - exp * 1000 : null;
  const summary = `clock +10 min: ${plural(refreshesFirst, "refresh", "refreshes")}, then ${plural(refreshesSecond, "refresh", "refreshes")}; ${unauthorized} × 401`;
  const checks: Check[] = [
    {
      expected: "at most one refresh, made before sending: no 401",
      observed: `${plural(refreshesFirst, "refresh", "refreshes")}, ${unauthorized} × 401`,
      ok: refreshesFirst <= 1 && unauthorized === 0,
    },
    {
      expected: "the next request needs no refresh",
      observed: plural(refreshesSecond, "refresh", "refreshes"),
      ok: refreshesSecond === 0,
    },
  ];
  const facts = { skewed: true, refreshesFirst, refreshesSecond, unauthorized };
  if (first.ok && second.ok && refreshesSecond === 0) {
    return {
      tone: "ok",
      checks,
      facts,
      summary,
      text: `This tab's clock jumped 10 minutes ahead. The token in memory suddenly looked old, so the wrapper refreshed ${refreshesFirst === 1 ? "once" : `${refreshesFirst} times`} before sending (no 401: it never sends a token it believes expired). The new token's lifetime is counted from this tab's own clock (send time + accessTokenExpiresIn), so the next request needed no refresh.${expAgo !== null && expAgo > 0 ? ` Read against this clock, the token's exp claim says it expired ${formatDuration(expAgo)} ago: a client that trusted exp would refresh before every request.` : ""} Press the button again to put the clock back.`,
    };
  }
  return { tone: "warn", checks, facts, summary, text: `${summary}. See the timeline.` };
}

async function restoreClock(ctx: ScenarioContext): Promise<Verdict> {
  restorePageClock();
  note(ctx, "skew", "this tab's clock is back to normal", { skewMs: 0 });
  // Going back is a jump too: the token would now look 10 minutes younger than it is. One refresh
  // re-anchors its lifetime to the real clock.
  ctx.progress("Refreshing once to count the token's lifetime from the real clock again…");
  const token = await ctx.client.refresh();
  return {
    tone: token ? "ok" : "warn",
    checks: [
      {
        expected: "one refresh counts the token's lifetime from the real clock again",
        observed: token ? "refreshed once" : "the refresh failed",
        ok: token !== null,
      },
    ],
    facts: { skewed: false, refreshed: token !== null },
    summary: "clock restored; refreshed once",
    text: "The clock is back. Going back is a jump too (the token would look ten minutes younger than it is, and only the server's 401 would catch it), so the inspector refreshed once to count its lifetime from the real clock again.",
  };
}

/** The token's `exp` claim (jose's `decodeJwt`: no verification, only reading), or null. */
function readExp(token: string): number | null {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === "number" ? exp : null;
  } catch {
    return null;
  }
}
