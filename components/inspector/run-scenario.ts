/**
 * The inspector's scenarios. Each one drives the app's real fetch wrapper against the real
 * server, then reads the verdict from what actually happened: the wrapper's event log and the
 * server's view of the session. Nothing here imitates the protocol.
 *
 * Three scenarios need the server's help (see lib/auth/dev-scenarios.ts for why each one is
 * honest):
 * - expire (and burst): the server signs an already-expired token for this session, at
 *   POST /api/auth/expired-access-token, which needs no flag (an expired token grants nothing);
 *   the wrapper holds it as if it were fresh (`replaceAccessToken`), so the next call meets the
 *   server's real 401;
 * - replay (AUTH_DEV_SCENARIOS only): the server keeps a copy of the refresh cookie (the page only
 *   gets an id) and later presents it to the real rotation code, as a thief would;
 * - lose (AUTH_DEV_SCENARIOS only): the server rotates for real and drops the answer.
 * The other two need nothing special: a second tab, a skewed clock.
 *
 * Each verdict carries a checklist, expected against observed, so the page can say what should
 * have happened before it explains what did.
 */
import type { AuthClient } from "@/lib/client/auth-client";
import { type AuthEvent, type AuthEventType, authStore } from "@/lib/client/auth-store";
import { decodeJwt } from "@/lib/client/jwt-inspect";
import { getPageClockSkew, restorePageClock, skewPageClock } from "@/lib/client/page-clock";
import { formatDuration } from "./format";
import type { SessionView } from "./session-view";

export type ScenarioId = "expire" | "burst" | "replay" | "lose" | "second-tab" | "skew";

/** One line of a verdict's checklist. */
export interface Check {
  expected: string;
  observed: string;
  ok: boolean;
}

export interface Verdict {
  tone: "ok" | "warn" | "error";
  /** Expected against observed, shown before `text`. */
  checks: Check[];
  /** One line for the timeline's scenario marker. */
  summary: string;
  /** What happened and why, for the page. */
  text: string;
}

export interface ScenarioContext {
  client: AuthClient;
  /** AUTH_DEV_SCENARIOS on this server (replay and lose need it). */
  devScenarios: boolean;
  /** Re-reads the server's view of the session (and shows it). */
  reloadView(): Promise<SessionView | null>;
  /** Shows a server view obtained some other way. */
  showView(view: SessionView): void;
  /** The status line while a scenario runs. */
  progress(text: string): void;
}

export const CLOCK_SKEW_MS = 10 * 60_000;
const BURST_SIZE = 10;
const SECOND_TAB_TIMEOUT_MS = 20_000;

const DEV = {
  expiredAccessToken: "/api/auth/expired-access-token",
  capture: "/api/auth/dev/capture-refresh-token",
  replay: "/api/auth/dev/replay-refresh-token",
  lose: "/api/auth/dev/lose-refresh-response",
} as const;

const lastSeq = () => authStore.getState().events.at(-1)?.seq ?? 0;
const eventsAfter = (seq: number) => authStore.getState().events.filter((e) => e.seq > seq);
const count = (events: AuthEvent[], type: AuthEventType) =>
  events.filter((e) => e.type === type).length;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Runs one scenario and returns its verdict; errors become an error verdict. */
export async function runScenario(id: ScenarioId, ctx: ScenarioContext): Promise<Verdict> {
  switch (id) {
    case "expire":
      return expireNow(ctx);
    case "burst":
      return fireBurst(ctx);
    case "replay":
      return replayAsThief(ctx);
    case "lose":
      return loseRefreshAnswer(ctx);
    case "second-tab":
      return openSecondTab();
    case "skew":
      return getPageClockSkew() === 0 ? skewClock(ctx) : restoreClock(ctx);
  }
}

/** Has the server sign an expired token for this session and makes the wrapper hold it. */
async function holdExpiredToken(ctx: ScenarioContext): Promise<void> {
  ctx.progress("Asking the server for an already-expired access token of this session…");
  const { accessToken } = await ctx.client.apiJson<{ accessToken: string }>(
    DEV.expiredAccessToken,
    { method: "POST" },
  );
  ctx.client.replaceAccessToken(accessToken);
}

async function expireNow(ctx: ScenarioContext): Promise<Verdict> {
  await holdExpiredToken(ctx);
  const mark = lastSeq();
  ctx.progress("Calling GET /api/me with it, as the app would…");
  const response = await ctx.client.apiFetch("/api/me");
  const events = eventsAfter(mark);
  const code = events.find((e) => e.type === "unauthorized")?.detail?.split(": ")[1] ?? "none";
  const refreshes = count(events, "refresh_start");
  const retried = count(events, "retry") > 0;
  const flow = `GET /api/me → 401 ${code} → ${plural(refreshes, "refresh", "refreshes")} → retry → ${response.status}`;
  const checks: Check[] = [
    {
      expected: "GET /api/me answers 401 token_expired",
      observed: code === "none" ? "no 401" : `401 ${code}`,
      ok: code === "token_expired",
    },
    {
      expected: "exactly one refresh, with the httpOnly cookie",
      observed: plural(refreshes, "refresh", "refreshes"),
      ok: refreshes === 1,
    },
    {
      expected: "the retry answers 200",
      observed: retried ? `retry → ${response.status}` : `no retry (${response.status})`,
      ok: retried && response.ok,
    },
  ];
  if (response.ok && retried && refreshes === 1) {
    return {
      tone: "ok",
      checks,
      summary: flow,
      text: `${flow}. The server refused the expired token, the wrapper refreshed once with the httpOnly cookie and sent the request again. You stayed signed in and the page never saw the 401.`,
    };
  }
  return {
    tone: "warn",
    checks,
    summary: flow,
    text: `${flow}. Expected exactly one 401, one refresh and a successful retry; see the timeline.`,
  };
}

async function fireBurst(ctx: ScenarioContext): Promise<Verdict> {
  await holdExpiredToken(ctx);
  const mark = lastSeq();
  ctx.progress(`Sending ${BURST_SIZE} GET /api/me at the same moment…`);
  const responses = await Promise.all(
    Array.from({ length: BURST_SIZE }, () => ctx.client.apiFetch("/api/me").catch(() => null)),
  );
  const events = eventsAfter(mark);
  const statuses = responses.map((r) => r?.status ?? 0);
  const ok = statuses.filter((s) => s === 200).length;
  const unauthorized = count(events, "unauthorized");
  const refreshes = count(events, "refresh_start");
  const retries = count(events, "retry");
  const summary = `${BURST_SIZE} requests: ${unauthorized} × 401, ${plural(refreshes, "refresh", "refreshes")}, ${plural(retries, "retry", "retries")}, ${ok} × 200`;
  const checks: Check[] = [
    {
      expected: `${BURST_SIZE} × 401 token_expired (all sent with the expired token)`,
      observed: `${unauthorized} × 401`,
      ok: unauthorized === BURST_SIZE,
    },
    {
      expected: "one refresh for all of them",
      observed: plural(refreshes, "refresh", "refreshes"),
      ok: refreshes === 1,
    },
    {
      expected: `${BURST_SIZE} retries, ${BURST_SIZE} × 200`,
      observed: `${plural(retries, "retry", "retries")}, ${ok} × 200`,
      ok: ok === BURST_SIZE && retries === BURST_SIZE,
    },
  ];
  if (ok === BURST_SIZE && refreshes <= 1) {
    return {
      tone: "ok",
      checks,
      summary,
      text:
        refreshes === 1
          ? `${summary}. The first 401 started the refresh; the other requests waited for that same refresh (single-flight) and each retried once with its token. One refresh served them all: spending the cookie ten times would have looked like theft.`
          : `${summary}. The token was fresh, so nothing needed refreshing.`,
    };
  }
  const expiredAgain = responses.filter((r) => r?.status === 401).length;
  return {
    tone: "warn",
    checks,
    summary,
    text: `${summary}. Statuses: ${statuses.join(", ")}.${expiredAgain > 0 ? ` ${plural(expiredAgain, "retry", "retries")} met a 401 again: the new token expired before every retry got out (very short tokens on a busy machine). A retry is never retried, so the app sees that 401.` : ""}`,
  };
}

async function replayAsThief(ctx: ScenarioContext): Promise<Verdict> {
  ctx.progress(
    "Copying your refresh cookie on the server, as malware would (the page gets an id)…",
  );
  const capture = await ctx.client.apiJson<{ captureId: string; generation: number }>(DEV.capture, {
    method: "POST",
  });
  ctx.client.annotate(`thief copied refresh token generation ${capture.generation}`);

  // One refresh spends the copy, which stays acceptable as the head's parent (a lost answer's
  // retry) until the head is presented; the second refresh presents it. No waiting for a window.
  for (const step of ["spends the copied token", "presents its successor"]) {
    ctx.progress(`You keep using the app: a real refresh ${step}…`);
    if ((await ctx.client.refresh()) === null) {
      return {
        tone: "error",
        checks: [],
        summary: "the refresh failed",
        text: "A refresh before the replay failed; see the timeline.",
      };
    }
  }

  ctx.progress(`The thief presents generation ${capture.generation}…`);
  const replay = await ctx.client.apiJson<{
    capturedGeneration: number;
    verdict:
      | { accepted: true; via: string; generation: number }
      | { accepted: false; status: number; code: string; message: string };
    session: SessionView;
  }>(DEV.replay, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ captureId: capture.captureId }),
  });
  ctx.showView(replay.session);
  const { verdict } = replay;
  const checks: Check[] = [
    {
      expected: `your own refreshes spend generation ${capture.generation} and present its successor`,
      observed: "refreshed twice; the copy is now a spent token whose successor was presented",
      ok: true,
    },
    {
      expected: "the thief is refused: 401 refresh_token_reused",
      observed: verdict.accepted
        ? `accepted (${verdict.via})`
        : `${verdict.status} ${verdict.code}`,
      ok: !verdict.accepted && verdict.code === "refresh_token_reused",
    },
    {
      expected: "the whole family is revoked, your newest token too",
      observed: `session ${replay.session.status}`,
      ok: replay.session.status === "revoked",
    },
  ];
  if (!verdict.accepted) {
    return {
      tone: "error",
      checks,
      summary: `thief told ${verdict.status} ${verdict.code}; family ${replay.session.status}`,
      text: `The server saw generation ${replay.capturedGeneration} come back after it had been spent and after its successor had been presented, and answered the thief ${verdict.status} ${verdict.code}. It cannot tell the thief from you, so it revoked the whole family: every refresh token of this session is dead, the newest one in your cookie too. Your access token is refused too, within about a second, on every instance (instant revocation: 401 session_revoked), although it has not expired; your next call or refresh will be refused and you will be signed out with the reason.`,
    };
  }
  return {
    tone: "warn",
    checks,
    summary: `thief served (${verdict.via})`,
    text: `The replay was accepted (${verdict.via}, generation ${verdict.generation}): the copied token was still the head's parent with the head unpresented, which is how a lost answer's retry looks. Nothing was revoked; try again.`,
  };
}

async function loseRefreshAnswer(ctx: ScenarioContext): Promise<Verdict> {
  ctx.progress("The server rotates your refresh token for real, and the answer is dropped…");
  const lost = await ctx.client.apiJson<{ spentGeneration: number; headGeneration: number }>(
    DEV.lose,
    { method: "POST" },
  );
  ctx.client.annotate(
    `server rotated generation ${lost.spentGeneration} → ${lost.headGeneration}; the answer was lost`,
  );
  ctx.progress("Refreshing again with the cookie this browser still holds…");
  const token = await ctx.client.refresh();
  const view = await ctx.reloadView();
  const grace = view?.policy.effective.refreshGraceSeconds;
  const current = view?.tokens.filter((t) => t.state === "current").length ?? 0;
  const checks: Check[] = [
    {
      expected: "the server rotates; the answer never arrives",
      observed: `generation ${lost.spentGeneration} → ${lost.headGeneration}, answer dropped`,
      ok: lost.headGeneration > lost.spentGeneration,
    },
    {
      expected: "the retry with the old cookie is inside the grace window: a sibling, not reuse",
      observed: token !== null ? "200, sibling issued" : "refused",
      ok: token !== null,
    },
    {
      expected: "still signed in, with exactly one current token",
      observed: `${authStore.getState().status === "authenticated" ? "signed in" : "signed out"}, ${plural(current, "current token")}`,
      ok: authStore.getState().status === "authenticated" && current === 1,
    },
  ];
  if (token !== null && authStore.getState().status === "authenticated") {
    return {
      tone: "ok",
      checks,
      summary: `retry inside the grace window: sibling at generation ${lost.headGeneration}; still signed in`,
      text: `The server rotated generation ${lost.spentGeneration} → ${lost.headGeneration}, but its answer never arrived, so this browser still held the old cookie. The retry presented it while it was still the parent of a head nobody had presented (within the ${grace ?? "?"}-s bound): the server issued a sibling at generation ${lost.headGeneration} instead of calling it theft, and you stayed signed in. The tree shows both tokens of that generation; the lost one was never delivered.`,
    };
  }
  return {
    tone: "error",
    checks,
    summary: "retry refused",
    text: "The retry was refused (a grace window of 0 s treats it as reuse); see the timeline.",
  };
}

function openSecondTab(): Promise<Verdict> {
  const mark = lastSeq();
  const opened = window.open("/inspector", "_blank");
  if (!opened) {
    return Promise.resolve({
      tone: "warn",
      checks: [],
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
      const adopted = eventsAfter(mark).some((e) => e.type === "token_adopted");
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
        summary: `second tab broadcast its session${adopted ? "; this tab adopted the token" : ""}`,
        text: `The second tab restored the session with one refresh, holding the cross-tab lock, and posted its new access token on the BroadcastChannel. This tab ${adopted ? "adopted it (broadcast_received → token_adopted) instead of refreshing" : "received it (broadcast_received)"}: no refresh token was spent twice. Now log out in either tab: the other follows at once (logged_out_elsewhere).`,
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
          summary: "no message from a second tab",
          text: `No message from a second tab within ${SECOND_TAB_TIMEOUT_MS / 1000} s.`,
        }),
      SECOND_TAB_TIMEOUT_MS,
    );
    check();
  });
}

async function skewClock(ctx: ScenarioContext): Promise<Verdict> {
  skewPageClock(CLOCK_SKEW_MS);
  ctx.client.annotate("this tab's clock now runs 10 minutes fast");
  const mark = lastSeq();
  ctx.progress("Calling GET /api/me with the clock 10 minutes fast…");
  const first = await ctx.client.apiFetch("/api/me");
  const between = lastSeq();
  const second = await ctx.client.apiFetch("/api/me");
  const refreshesFirst =
    count(eventsAfter(mark), "refresh_start") - count(eventsAfter(between), "refresh_start");
  const refreshesSecond = count(eventsAfter(between), "refresh_start");
  const unauthorized = count(eventsAfter(mark), "unauthorized");
  const token = authStore.getState().accessToken;
  const exp = token ? decodeJwt(token)?.payload.exp : undefined;
  const expAgo = typeof exp === "number" ? Date.now() - exp * 1000 : null;
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
  if (first.ok && second.ok && refreshesSecond === 0) {
    return {
      tone: "ok",
      checks,
      summary,
      text: `This tab's clock jumped 10 minutes ahead. The token in memory suddenly looked old, so the wrapper refreshed ${refreshesFirst === 1 ? "once" : `${refreshesFirst} times`} before sending (no 401: it never sends a token it believes expired). The new token's lifetime is counted from this tab's own clock (send time + accessTokenExpiresIn), so the next request needed no refresh.${expAgo !== null && expAgo > 0 ? ` Read against this clock, the token's exp claim says it expired ${formatDuration(expAgo)} ago: a client that trusted exp would refresh before every request.` : ""} Press the button again to put the clock back.`,
    };
  }
  return { tone: "warn", checks, summary, text: `${summary}. See the timeline.` };
}

async function restoreClock(ctx: ScenarioContext): Promise<Verdict> {
  restorePageClock();
  ctx.client.annotate("this tab's clock is back to normal");
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
    summary: "clock restored; refreshed once",
    text: "The clock is back. Going back is a jump too (the token would look ten minutes younger than it is, and only the server's 401 would catch it), so the inspector refreshed once to count its lifetime from the real clock again.",
  };
}
