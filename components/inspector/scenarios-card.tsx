"use client";

import { useCallback, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { getAuthClient, getAuthDevtools } from "@/lib/client/auth-client";
import { getPageClockSkew } from "@/lib/client/page-clock";
import type { DevScenarioId } from "@/lib/contract";
import { type Check, type ScenarioContext, type Verdict, runScenario } from "./run-scenario";

type ScenarioId = DevScenarioId;

type Scenario = {
  id: ScenarioId;
  /** The card's heading: the situation, in a few words. */
  heading: string;
  /** The button: what pressing it does. */
  title: string;
  /** What will happen, before pressing. */
  description: string;
  needsDevScenarios: boolean;
};

const SCENARIOS: Scenario[] = [
  {
    id: "expire",
    heading: "A token that dies early",
    title: "Expire my access token now",
    description:
      "The server signs an already-expired token for this session and the wrapper holds it as if it were fresh. The next call meets a real 401, refreshes once, and retries.",
    needsDevScenarios: false,
  },
  {
    id: "burst",
    heading: "A stampede of 401s",
    title: "Fire 10 requests at once",
    description:
      "Ten GET /api/me at the same moment, with an expired token: ten 401s, and still one refresh for all of them.",
    needsDevScenarios: false,
  },
  {
    id: "replay",
    heading: "A stolen refresh token",
    title: "Replay my previous refresh token, as a thief would",
    description:
      "The server keeps a copy of your refresh cookie, you refresh twice (the second refresh presents the token the first one gave you), and the copy is presented again. Reuse detection revokes the family.",
    needsDevScenarios: true,
  },
  {
    id: "lose",
    heading: "A lost refresh response",
    title: "Lose the refresh response",
    description:
      "The server rotates your refresh token but the answer never arrives. The retry with the old cookie is the new token's parent, accepted until that token is first presented, and you stay signed in.",
    needsDevScenarios: true,
  },
  {
    id: "second-tab",
    heading: "Two tabs, one cookie",
    title: "Open a second tab",
    description:
      "Another tab of this app restores the session. The tabs share the refresh lock and tell each other about new tokens; logging out in one signs out both.",
    needsDevScenarios: false,
  },
  {
    id: "skew",
    heading: "A wrong clock",
    title: "Skew my clock by 10 minutes",
    description:
      "This tab's clock runs 10 minutes fast (Date.now only; the server keeps its own time). The wrapper never compares exp with the local clock, so it costs one refresh.",
    needsDevScenarios: false,
  },
];

const VERDICT_CLASSES: Record<Verdict["tone"], string> = {
  ok: "bg-emerald-50 text-emerald-900 ring-emerald-200",
  warn: "bg-amber-50 text-amber-900 ring-amber-200",
  error: "bg-red-50 text-red-900 ring-red-200",
};

/**
 * Buttons that run real flows against the real server through the real fetch wrapper, and the
 * verdict of each, read from the wrapper's event log and the server's view (run-scenario.ts).
 */
export function ScenariosCard({
  devScenarios,
  onRunningChange,
  reloadView,
  showView,
}: {
  devScenarios: boolean;
  onRunningChange(running: boolean): void;
  reloadView: ScenarioContext["reloadView"];
  showView: ScenarioContext["showView"];
}) {
  const [running, setRunning] = useState<ScenarioId | null>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const [verdicts, setVerdicts] = useState<Partial<Record<ScenarioId, Verdict>>>({});
  // The skew lives in lib/client/page-clock.ts (module state, per page load); read it after runs.
  const [skewed, setSkewed] = useState(
    () => typeof window !== "undefined" && getPageClockSkew() !== 0,
  );
  // The scenario whose verdict is to be scrolled into view when it appears (issue 27). On a
  // laptop screen this column scrolls inside itself (sticky, one screen tall) and a verdict
  // lands below the button it answers, so without this only its first line showed.
  const revealNext = useRef<ScenarioId | null>(null);
  const revealVerdict = useCallback((element: HTMLDivElement | null) => {
    if (!element || element.dataset.scenario !== revealNext.current) return;
    revealNext.current = null;
    // "nearest": scroll this column, and the page if need be, only as far as the verdict needs.
    element.scrollIntoView({ block: "nearest" });
  }, []);

  async function run(scenario: Scenario) {
    const client = getAuthClient();
    const devtools = getAuthDevtools();
    setRunning(scenario.id);
    onRunningChange(true);
    setVerdicts(({ [scenario.id]: _previous, ...rest }) => rest);
    const title = scenario.id === "skew" && skewed ? "Put my clock back" : scenario.title;
    devtools.annotate({ marker: "start", scenario: scenario.id, text: title });
    let verdict: Verdict;
    try {
      verdict = await runScenario(scenario.id, {
        client,
        devtools,
        devScenarios,
        reloadView,
        showView,
        progress: setProgress,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      verdict = {
        tone: "error",
        checks: [],
        facts: { failed: true },
        summary: `failed: ${message}`,
        text: `It failed: ${message}`,
      };
    }
    devtools.annotate({
      marker: "verdict",
      scenario: scenario.id,
      text: verdict.summary,
      tone: verdict.tone,
      facts: verdict.facts,
    });
    revealNext.current = scenario.id;
    setVerdicts((current) => ({ ...current, [scenario.id]: verdict }));
    setProgress(null);
    setRunning(null);
    setSkewed(getPageClockSkew() !== 0);
    onRunningChange(false);
  }

  return (
    <Card
      title="Break it on purpose"
      description="Each button runs a real flow against the real server. Watch the timeline and the family tree."
    >
      {!devScenarios && (
        <p className="mb-4 rounded-md bg-slate-50 px-3.5 py-2.5 text-sm text-slate-600 ring-1 ring-slate-200 ring-inset">
          Two scenarios need the server&apos;s help and are off on this server: they run with{" "}
          <code className="font-mono text-xs">AUTH_DEV_SCENARIOS</code> on, which a public
          deployment refuses.
        </p>
      )}
      <p role="status" aria-live="polite" className="sr-only">
        {progress ?? ""}
      </p>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-1">
        {SCENARIOS.map((scenario) => {
          const disabled = scenario.needsDevScenarios && !devScenarios;
          const verdict = verdicts[scenario.id];
          const label = scenario.id === "skew" && skewed ? "Put my clock back" : scenario.title;
          return (
            <li
              key={scenario.id}
              data-testid={`scenario-${scenario.id}`}
              className="flex flex-col gap-3 rounded-lg p-4 ring-1 ring-slate-200 ring-inset"
            >
              <h3 className="text-sm font-semibold text-slate-900">{scenario.heading}</h3>
              <p className="flex-1 text-sm text-slate-600">{scenario.description}</p>
              {disabled && (
                <p className="text-xs text-slate-500">
                  Needs a local server (AUTH_DEV_SCENARIOS=auto, the default) or
                  AUTH_DEV_SCENARIOS=1.
                </p>
              )}
              <Button
                variant={scenario.id === "replay" ? "danger" : "secondary"}
                onClick={() => void run(scenario)}
                disabled={disabled || (running !== null && running !== scenario.id)}
                pending={running === scenario.id}
              >
                {label}
              </Button>
              {running === scenario.id && progress && (
                <p className="text-xs text-slate-600" data-testid="scenario-progress">
                  {progress}
                </p>
              )}
              {verdict && (
                <div
                  ref={revealVerdict}
                  role={verdict.tone === "ok" ? "status" : "alert"}
                  data-testid="scenario-verdict"
                  data-scenario={scenario.id}
                  data-tone={verdict.tone}
                  {...factAttributes(verdict.facts)}
                  className={`rounded-md px-3 py-2 text-xs ring-1 ring-inset ${VERDICT_CLASSES[verdict.tone]}`}
                >
                  {verdict.checks.length > 0 && <Checklist checks={verdict.checks} />}
                  <p className={verdict.checks.length > 0 ? "mt-2" : undefined}>{verdict.text}</p>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

/** A verdict's facts as `data-fact-*` attributes (camelCase in kebab-case), for tools and tests. */
function factAttributes(facts: Verdict["facts"]): Record<`data-${string}`, string> {
  return Object.fromEntries(
    Object.entries(facts).map(([name, value]) => [
      `data-fact-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      String(value),
    ]),
  );
}

/** Expected against observed, one row per check, before the verdict's prose. */
function Checklist({ checks }: { checks: Check[] }) {
  return (
    <table className="w-full border-collapse text-left" data-testid="scenario-checks">
      <caption className="sr-only">Expected and observed</caption>
      <thead>
        <tr className="border-b border-current/20">
          <th scope="col" className="w-5 py-1 font-semibold">
            <span className="sr-only">Result</span>
          </th>
          <th scope="col" className="py-1 pr-2 font-semibold">
            Expected
          </th>
          <th scope="col" className="py-1 font-semibold">
            Observed
          </th>
        </tr>
      </thead>
      <tbody>
        {checks.map((check) => (
          <tr
            key={check.expected}
            data-testid="scenario-check"
            data-ok={check.ok}
            className="align-top"
          >
            <td className="py-1 font-semibold">
              <span aria-hidden>{check.ok ? "✓" : "✗"}</span>
              <span className="sr-only">{check.ok ? "as expected" : "not as expected"}</span>
            </td>
            <td className="py-1 pr-2">{check.expected}</td>
            <td className="py-1 font-mono">{check.observed}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
