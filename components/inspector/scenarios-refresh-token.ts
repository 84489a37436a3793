/**
 * Scenarios about the refresh token, which need the server's help (AUTH_DEV_SCENARIOS; see
 * lib/dev/scenarios.ts for why each one is honest):
 * - replay: the server keeps a copy of the refresh cookie (the page only gets an id) and later
 *   presents it to the real rotation code, as a thief would;
 * - lose: the server rotates for real and drops the answer.
 */
import { authStore } from "@/lib/client/auth-store";
import {
  API_PATH,
  captureBodySchema,
  ERROR_CODE,
  lostAnswerBodySchema,
  replayBodySchema,
} from "@/lib/contract";
import { type Check, note, plural, type ScenarioContext, type Verdict } from "./scenario-kit";

export async function replayAsThief(ctx: ScenarioContext): Promise<Verdict> {
  ctx.progress(
    "Copying your refresh cookie on the server, as malware would (the page gets an id)…",
  );
  const capture = await ctx.client.apiJson(API_PATH.devCaptureRefreshToken, captureBodySchema, {
    method: "POST",
  });
  note(ctx, "replay", `thief copied refresh token generation ${capture.generation}`, {
    generation: capture.generation,
  });

  // One refresh spends the copy, which stays acceptable as the head's parent (a lost answer's
  // retry) until the head is presented; the second refresh presents it. No waiting for a window.
  for (const step of ["spends the copied token", "presents its successor"]) {
    ctx.progress(`You keep using the app: a real refresh ${step}…`);
    if ((await ctx.client.refresh()) === null) {
      return {
        tone: "error",
        checks: [],
        facts: { refreshFailed: true },
        summary: "the refresh failed",
        text: "A refresh before the replay failed; see the timeline.",
      };
    }
  }

  ctx.progress(`The thief presents generation ${capture.generation}…`);
  const replay = await ctx.client.apiJson(API_PATH.devReplayRefreshToken, replayBodySchema, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ captureId: capture.captureId }),
  });
  ctx.showView(replay.session);
  const { verdict } = replay;
  const reused = ERROR_CODE.refreshTokenReused;
  const checks: Check[] = [
    {
      expected: `your own refreshes spend generation ${capture.generation} and present its successor`,
      observed: "refreshed twice; the copy is now a spent token whose successor was presented",
      ok: true,
    },
    {
      expected: `the thief is refused: 401 ${reused}`,
      observed: verdict.accepted
        ? `accepted (${verdict.via})`
        : `${verdict.status} ${verdict.code}`,
      ok: !verdict.accepted && verdict.code === reused,
    },
    {
      expected: "the whole family is revoked, your newest token too",
      observed: `session ${replay.session.status}`,
      ok: replay.session.status === "revoked",
    },
  ];
  const facts = {
    capturedGeneration: replay.capturedGeneration,
    accepted: verdict.accepted,
    ...(verdict.accepted ? { via: verdict.via } : { status: verdict.status, code: verdict.code }),
    session: replay.session.status,
  };
  if (!verdict.accepted) {
    return {
      tone: "error",
      checks,
      facts,
      summary: `thief told ${verdict.status} ${verdict.code}; family ${replay.session.status}`,
      text: `The server saw generation ${replay.capturedGeneration} come back after it had been spent and after its successor had been presented, and answered the thief ${verdict.status} ${verdict.code}. It cannot tell the thief from you, so it revoked the whole family: every refresh token of this session is dead, the newest one in your cookie too. Your access token is refused too, within about a second, on every instance (instant revocation: 401 ${ERROR_CODE.sessionRevoked}), although it has not expired; your next call or refresh will be refused and you will be signed out with the reason.`,
    };
  }
  return {
    tone: "warn",
    checks,
    facts,
    summary: `thief served (${verdict.via})`,
    text: `The replay was accepted (${verdict.via}, generation ${verdict.generation}): the copied token was still the head's parent with the head unpresented, which is how a lost answer's retry looks. Nothing was revoked; try again.`,
  };
}

export async function loseRefreshAnswer(ctx: ScenarioContext): Promise<Verdict> {
  ctx.progress("The server rotates your refresh token for real, and the answer is dropped…");
  const lost = await ctx.client.apiJson(API_PATH.devLoseRefreshResponse, lostAnswerBodySchema, {
    method: "POST",
  });
  note(
    ctx,
    "lose",
    `server rotated generation ${lost.spentGeneration} → ${lost.headGeneration}; the answer was lost`,
    { spentGeneration: lost.spentGeneration, headGeneration: lost.headGeneration },
  );
  ctx.progress("Refreshing again with the cookie this browser still holds…");
  const token = await ctx.client.refresh();
  const view = await ctx.reloadView();
  const grace = view?.policy.effective.refreshGraceSeconds;
  const current = view?.tokens.filter((t) => t.state === "current").length ?? 0;
  const signedIn = authStore.getState().status === "authenticated";
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
      observed: `${signedIn ? "signed in" : "signed out"}, ${plural(current, "current token")}`,
      ok: signedIn && current === 1,
    },
  ];
  const facts = {
    spentGeneration: lost.spentGeneration,
    headGeneration: lost.headGeneration,
    retryAccepted: token !== null,
    signedIn,
    currentTokens: current,
  };
  if (token !== null && signedIn) {
    return {
      tone: "ok",
      checks,
      facts,
      summary: `retry inside the grace window: sibling at generation ${lost.headGeneration}; still signed in`,
      text: `The server rotated generation ${lost.spentGeneration} → ${lost.headGeneration}, but its answer never arrived, so this browser still held the old cookie. The retry presented it while it was still the parent of a head nobody had presented (within the ${grace ?? "?"}-s bound): the server issued a sibling at generation ${lost.headGeneration} instead of calling it theft, and you stayed signed in. The tree shows both tokens of that generation; the lost one was never delivered.`,
    };
  }
  return {
    tone: "error",
    checks,
    facts,
    summary: "retry refused",
    text: "The retry was refused (a grace window of 0 s treats it as reuse); see the timeline.",
  };
}
