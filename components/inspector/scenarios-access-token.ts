/**
 * Scenarios about the access token: it dies early ("expire"), and ten requests meet its death at
 * once ("burst"). Both have the server sign a genuinely expired token for this session
 * (POST /api/auth/expired-access-token, no flag needed: an expired token grants nothing) and
 * make the wrapper hold it as if it were fresh, so the next calls meet the server's real 401.
 */
import { ERROR_CODE, API_PATH } from "@/lib/contract";
import {
  type Check,
  count,
  eventsAfter,
  firstOf,
  holdExpiredToken,
  lastSeq,
  plural,
  type ScenarioContext,
  type Verdict,
} from "./scenario-kit";

const BURST_SIZE = 10;

export async function expireNow(ctx: ScenarioContext): Promise<Verdict> {
  await holdExpiredToken(ctx);
  const mark = lastSeq();
  ctx.progress(`Calling GET ${API_PATH.me} with it, as the app would…`);
  const response = await ctx.client.apiFetch(API_PATH.me);
  const events = eventsAfter(mark);
  const unauthorized = firstOf(events, "unauthorized");
  const code = unauthorized ? (unauthorized.code ?? "no code") : null;
  const refreshes = count(events, "refresh_start");
  const retried = count(events, "retry") > 0;
  const flow = `GET ${API_PATH.me} → 401 ${code ?? "none"} → ${plural(refreshes, "refresh", "refreshes")} → retry → ${response.status}`;
  const checks: Check[] = [
    {
      expected: `GET ${API_PATH.me} answers 401 ${ERROR_CODE.tokenExpired}`,
      observed: code === null ? "no 401" : `401 ${code}`,
      ok: code === ERROR_CODE.tokenExpired,
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
  const facts = { code: code ?? "none", refreshes, retried, status: response.status };
  if (response.ok && retried && refreshes === 1) {
    return {
      tone: "ok",
      checks,
      facts,
      summary: flow,
      text: `${flow}. The server refused the expired token, the wrapper refreshed once with the httpOnly cookie and sent the request again. You stayed signed in and the page never saw the 401.`,
    };
  }
  return {
    tone: "warn",
    checks,
    facts,
    summary: flow,
    text: `${flow}. Expected exactly one 401, one refresh and a successful retry; see the timeline.`,
  };
}

export async function fireBurst(ctx: ScenarioContext): Promise<Verdict> {
  await holdExpiredToken(ctx);
  const mark = lastSeq();
  ctx.progress(`Sending ${BURST_SIZE} GET ${API_PATH.me} at the same moment…`);
  const responses = await Promise.all(
    Array.from({ length: BURST_SIZE }, () => ctx.client.apiFetch(API_PATH.me).catch(() => null)),
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
      expected: `${BURST_SIZE} × 401 ${ERROR_CODE.tokenExpired} (all sent with the expired token)`,
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
  const facts = { requests: BURST_SIZE, unauthorized, refreshes, retries, ok };
  if (ok === BURST_SIZE && refreshes <= 1) {
    return {
      tone: "ok",
      checks,
      facts,
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
    facts,
    summary,
    text: `${summary}. Statuses: ${statuses.join(", ")}.${expiredAgain > 0 ? ` ${plural(expiredAgain, "retry", "retries")} met a 401 again: the new token expired before every retry got out (very short tokens on a busy machine). A retry is never retried, so the app sees that 401.` : ""}`,
  };
}
