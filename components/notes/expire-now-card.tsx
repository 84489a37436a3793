"use client";

import { useEffect, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ApiError } from "@/lib/client/api-error";
import { getAuthClient, getAuthDevtools } from "@/lib/client/auth-client";
import { authStore } from "@/lib/client/auth-store";
import { type RefreshPathObservation, observeRefreshPath } from "@/lib/client/refresh-path";
import { API_PATH, expiredAccessTokenBodySchema } from "@/lib/contract";

type Phase =
  | { kind: "idle" }
  | { kind: "expiring" }
  | { kind: "waiting"; sinceSeq: number }
  | { kind: "observed"; observation: RefreshPathObservation }
  | { kind: "failed"; message: string };

/**
 * "Expire my access token now": the server signs an already-expired access token for this
 * session and the wrapper holds it as if it were fresh (the devtools hook's `replaceAccessToken`).
 * The next protected calls, whichever they are, meet the server's real 401; the card then
 * shows, from the wrapper's own event log, which requests met it, the one refresh and the retries
 * that followed.
 */
export function ExpireNowCard() {
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });

  useEffect(() => {
    if (phase.kind !== "waiting") return;
    const check = () => {
      const events = authStore.getState().events.filter((e) => e.seq > phase.sinceSeq);
      const observation = observeRefreshPath(events);
      if (observation) setPhase({ kind: "observed", observation });
    };
    check();
    return authStore.subscribe(check);
  }, [phase]);

  async function expireNow() {
    setPhase({ kind: "expiring" });
    try {
      const { accessToken } = await getAuthClient().apiJson(
        API_PATH.expiredAccessToken,
        expiredAccessTokenBodySchema,
        { method: "POST" },
      );
      getAuthDevtools().replaceAccessToken(accessToken);
      setPhase({ kind: "waiting", sinceSeq: authStore.getState().events.at(-1)?.seq ?? 0 });
    } catch (error) {
      setPhase({
        kind: "failed",
        message:
          error instanceof ApiError ? error.message : "Could not reach the server. Try again.",
      });
    }
  }

  return (
    <Card
      title="See the 401 path"
      description="Proactive refresh renews the token 30 seconds before it expires, so in normal use you never see a 401. Tokens can still die early: the session was revoked, a clock is skewed, the laptop slept through the timer. This button makes that happen now."
      actions={
        <Button
          variant="secondary"
          onClick={() => void expireNow()}
          pending={phase.kind === "expiring"}
        >
          Expire my access token now
        </Button>
      }
    >
      <div data-testid="expire-now-status" aria-live="polite" className="text-sm text-slate-700">
        {phase.kind === "idle" && (
          <p>
            The server signs an already-expired access token for this session, and this tab holds it
            as if it were fresh. Nothing else changes: your refresh cookie and session stay as they
            are.
          </p>
        )}
        {phase.kind === "expiring" && <p>Asking the server for an expired token…</p>}
        {phase.kind === "waiting" && (
          <p>
            This tab now holds an expired access token. Press <strong>Reload</strong> on your notes
            or <strong>Fire 5 requests</strong> below (or any protected action): the server will
            answer 401, the app will refresh once with the httpOnly cookie and retry. This card then
            tells what ran.
          </p>
        )}
        {phase.kind === "observed" && <ObservedPath observation={phase.observation} />}
        {phase.kind === "failed" && <Alert tone="error">{phase.message}</Alert>}
      </div>
    </Card>
  );
}

/** Who made the requests, as the verdict names them: the notes panel, or the paths themselves. */
function describeCallers(paths: readonly string[]): string {
  const distinct = [...new Set(paths)];
  if (distinct.length === 1 && distinct[0] === API_PATH.notes) return "the notes";
  const where = distinct.join(", ");
  return paths.length === 1
    ? `the request to ${where}`
    : `the ${paths.length} requests to ${where}`;
}

/**
 * One line per step of the story that actually ran (lib/client/refresh-path.ts): which requests
 * met the 401, the refresh, their retries. IMPORTANT: word every line from the observation, never
 * from what the card expects, since any protected call after the swap can be the one that meets it.
 */
function ObservedPath({ observation }: { observation: RefreshPathObservation }) {
  const { paths, code, refreshes, refreshed, retryStatuses } = observation;
  const distinct = [...new Set(paths)];
  const requests =
    paths.length === 1 ? distinct[0] : `${paths.length} requests to ${distinct.join(", ")}`;
  const retriesOk =
    retryStatuses.length === paths.length && retryStatuses.every((s) => s >= 200 && s < 300);
  const sameStatus = retryStatuses.every((s) => s === retryStatuses[0]);
  const retries =
    retryStatuses.length === 0
      ? "No retry"
      : retryStatuses.length === 1
        ? `The retry answered ${retryStatuses[0]}`
        : sameStatus && retryStatuses.length === paths.length
          ? `All ${retryStatuses.length} retries answered ${retryStatuses[0]}`
          : `The retries answered ${retryStatuses.join(", ")}`;
  const steps = [
    { ok: true, text: `${requests} answered 401 ${code ?? "(no code)"}` },
    {
      ok: refreshes === 1 && refreshed,
      text: `${refreshes === 1 ? "One refresh" : `${refreshes} refreshes`} with the httpOnly cookie${refreshed ? "" : " (refused)"}`,
    },
    { ok: retriesOk, text: retries },
  ];
  const allOk = steps.every((s) => s.ok);
  return (
    <div className="space-y-2">
      <ol className="space-y-1" data-testid="expire-now-steps">
        {steps.map((step) => (
          <li key={step.text} className="flex items-center gap-2">
            <span aria-hidden className={step.ok ? "text-emerald-700" : "text-amber-700"}>
              {step.ok ? "✓" : "!"}
            </span>
            {step.text}
          </li>
        ))}
      </ol>
      <p data-testid="expire-now-verdict" className="font-medium">
        {allOk
          ? `You stayed signed in, and ${describeCallers(paths)} never saw the 401.`
          : "That is not the expected path; the inspector's timeline shows every step."}
      </p>
    </div>
  );
}
