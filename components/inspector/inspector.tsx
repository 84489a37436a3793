"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ApiError } from "@/lib/client/api-error";
import { apiJson, getAuthClient } from "@/lib/client/auth-client";
import { type AuthEventType, authStore } from "@/lib/client/auth-store";
import { API_PATH, ERROR_CODE, type SessionView, sessionViewBodySchema } from "@/lib/contract";
import { AccessTokenCard } from "./access-token-card";
import { PolicyCard } from "./policy-card";
import { ScenariosCard } from "./scenarios-card";
import { SessionCard } from "./session-card";
import { TimelineCard } from "./timeline-card";

/** Events after which the server's view has changed: re-read it (unless a scenario is running). */
const VIEW_CHANGING_EVENTS: ReadonlySet<AuthEventType> = new Set([
  "rotation",
  "token_adopted",
  "login",
]);
const RELOAD_DEBOUNCE_MS = 300;

/** The server's view of the current session, re-readable and awaitable. */
function useSessionView() {
  const [view, setView] = useState<SessionView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);
  // The newest view also outside React's render cycle, for decisions made in event handlers.
  const current = useRef<SessionView | null>(null);

  const reload = useCallback(async (): Promise<SessionView | null> => {
    const request = ++latest.current;
    try {
      const { session } = await apiJson(API_PATH.currentSession, sessionViewBodySchema);
      if (request === latest.current) {
        current.current = session;
        setView(session);
        setError(null);
      }
      return session;
    } catch (e) {
      if (request === latest.current) {
        setError(e instanceof ApiError ? e.message : "Could not reach the server.");
      }
      return null;
    }
  }, []);

  const show = useCallback((next: SessionView) => {
    latest.current += 1;
    current.current = next;
    setView(next);
    setError(null);
  }, []);

  const getCurrent = useCallback(() => current.current, []);
  return { view, error, reload, show, getCurrent };
}

/**
 * The inspector: the access token this tab holds, the server's view of its session, scenarios
 * that break the flow on purpose, the wrapper's timeline, and (in development) the policy panel.
 * It uses the app's real endpoints and its real fetch wrapper, nothing simulated.
 */
export function Inspector({
  devScenarios,
  policyPanel,
}: {
  devScenarios: boolean;
  policyPanel: boolean;
}) {
  const { view, error, reload, show, getCurrent } = useSessionView();
  const scenarioRunning = useRef(false);

  useEffect(() => {
    void reload();
  }, [reload]);

  // Follow the session: after a refresh here or in another tab, ask the server again.
  useEffect(() => {
    let seen = authStore.getState().events.at(-1)?.seq ?? 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = authStore.subscribe((state) => {
      const fresh = state.events.filter((e) => e.seq > seen);
      seen = state.events.at(-1)?.seq ?? seen;
      if (scenarioRunning.current || state.status !== "authenticated") return;
      if (!fresh.some((e) => VIEW_CHANGING_EVENTS.has(e.type))) return;
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), RELOAD_DEBOUNCE_MS);
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [reload]);

  const onRunningChange = useCallback(
    (running: boolean) => {
      scenarioRunning.current = running;
      // A revoked family stays on screen as the replay left it: re-reading it would need an
      // access token, and getting one is the refresh that signs you out (the banner's button).
      if (!running && getCurrent()?.status !== "revoked") void reload();
    },
    [reload, getCurrent],
  );

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Inspector</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-600">
          Watch silent refresh happen, then break it on purpose. Everything here goes through the
          app&apos;s real fetch wrapper and its real endpoints; the timeline is the wrapper&apos;s
          own event log, and the family tree is the server&apos;s record.
        </p>
      </div>
      {view && view.status !== "active" && <EndedSessionBanner view={view} />}
      <AccessTokenCard />
      {/* The buttons beside what they change: on wide screens the scenarios stay in view
          (sticky) while the family tree and the timeline beside them fill in. */}
      <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,5fr)_minmax(0,7fr)]">
        <div className="lg:sticky lg:top-4 lg:max-h-[calc(100dvh-2rem)] lg:overflow-y-auto lg:rounded-xl">
          <ScenariosCard
            devScenarios={devScenarios}
            onRunningChange={onRunningChange}
            reloadView={reload}
            showView={show}
          />
        </div>
        <div className="min-w-0 space-y-6">
          <SessionCard view={view} error={error} onReload={() => void reload()} />
          <TimelineCard />
        </div>
      </div>
      {policyPanel ? (
        <PolicyCard view={view} onApplied={show} />
      ) : (
        <Card title="Policy for this session">
          <p className="text-sm text-slate-600">
            On a local server (<code className="font-mono text-xs">AUTH_DEV_SCENARIOS</code> is{" "}
            <code className="font-mono text-xs">auto</code> by default: on for a loopback{" "}
            <code className="font-mono text-xs">APP_URL</code> or{" "}
            <code className="font-mono text-xs">HOST</code>), this panel shortens this
            session&apos;s access-token lifetime, grace window and idle timeout. This server has it
            off.
          </p>
        </Card>
      )}
    </div>
  );
}

function EndedSessionBanner({ view }: { view: SessionView }) {
  const [pending, setPending] = useState(false);
  return (
    <div
      data-testid="session-ended-banner"
      data-status={view.status}
      data-revoke-reason={view.revokeReason ?? ""}
    >
      <Alert tone="warning">
        <span className="flex flex-wrap items-center justify-between gap-3">
          <span>
            The server has {view.status === "revoked" ? "revoked" : "expired"} this session
            {view.revokeReason ? ` (${view.revokeReason})` : ""}.{" "}
            {view.status === "revoked"
              ? `This tab still holds its access token, but every instance of the server already refuses it (401 ${ERROR_CODE.sessionRevoked}: instant revocation), although it has not expired.`
              : "This tab still holds a working access token, because access tokens are checked without the database."}{" "}
            Its next refresh will be refused and the app will sign you out, saying why.
          </span>
          <Button
            variant="secondary"
            pending={pending}
            onClick={() => {
              setPending(true);
              void getAuthClient().refresh();
            }}
          >
            Make the next refresh now
          </Button>
        </span>
      </Alert>
    </div>
  );
}
