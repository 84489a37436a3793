/**
 * The inspector's scenarios. Each one drives the app's real fetch wrapper against the real
 * server, then reads the verdict from what actually happened: the wrapper's event log (by event
 * type and data) and the server's view of the session. Nothing here imitates the protocol.
 *
 *   expire, burst       scenarios-access-token.ts   an expired token meets the real 401
 *   replay, lose        scenarios-refresh-token.ts  a thief's copy; a lost answer (dev routes)
 *   second-tab, skew    scenarios-tabs-and-clock.ts another tab; a wrong clock
 *
 * Each verdict carries a checklist, expected against observed, so the page can say what should
 * have happened before it explains what did, and its facts as data.
 */
import type { DevScenarioId } from "@/lib/contract";
import type { ScenarioContext, Verdict } from "./scenario-kit";
import { expireNow, fireBurst } from "./scenarios-access-token";
import { loseRefreshAnswer, replayAsThief } from "./scenarios-refresh-token";
import { openSecondTab, skewOrRestoreClock } from "./scenarios-tabs-and-clock";

export type { Check, ScenarioContext, Verdict } from "./scenario-kit";

/** Runs one scenario and returns its verdict (a failure throws; the card turns it into one). */
export function runScenario(id: DevScenarioId, ctx: ScenarioContext): Promise<Verdict> {
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
      return skewOrRestoreClock(ctx);
  }
}
