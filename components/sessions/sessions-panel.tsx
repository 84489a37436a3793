"use client";

import { useState } from "react";
import { describeDevice } from "@/lib/contract";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ApiError } from "@/lib/client/api-error";
import { apiJson, getAuthClient } from "@/lib/client/auth-client";
import { useApiResource } from "@/lib/client/use-api-resource";
import {
  API_PATH,
  type LiveSession,
  liveSessionsBodySchema,
  noContentSchema,
  revokedSessionsBodySchema,
  sessionPath,
} from "@/lib/contract";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const formatDate = (iso: string) => dateFormat.format(new Date(iso));

/**
 * Every live session of the user (one per login per device, each a refresh-
 * token family). Revoking one ends that family on the server: that device's
 * next refresh is refused (SessionRevoked). Its current access token still
 * works until it expires (at most ACCESS_TOKEN_TTL_SECONDS).
 */
export function SessionsPanel() {
  const resource = useApiResource(
    API_PATH.sessions,
    liveSessionsBodySchema,
    "Could not load your sessions.",
  );
  const sessions = resource.data?.sessions ?? null;
  const setSessions = (update: (list: LiveSession[] | null) => LiveSession[] | null) =>
    resource.setData((data) => ({ sessions: update(data?.sessions ?? null) ?? [] }));
  const [actionError, setError] = useState<string | null>(null);
  const error = actionError ?? resource.error;
  const [busy, setBusy] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  async function revoke(session: LiveSession) {
    setBusy(session.id);
    setError(null);
    try {
      if (session.current) {
        await getAuthClient().logout();
        return;
      }
      await apiJson(sessionPath(session.id), noContentSchema, { method: "DELETE" });
      setSessions((list) => list?.filter((s) => s.id !== session.id) ?? null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "Could not revoke the session.");
    } finally {
      setBusy(null);
    }
  }

  async function logoutEverywhere() {
    setConfirming(false);
    setBusy("all");
    setError(null);
    try {
      await apiJson(API_PATH.sessions, revokedSessionsBodySchema, { method: "DELETE" });
      await getAuthClient().logout();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "Could not log out everywhere.");
      setBusy(null);
    }
  }

  return (
    <Card
      title="Active sessions"
      description="Each login on each device is one session: a family of rotating refresh tokens."
      actions={
        <Button
          variant="danger"
          onClick={() => setConfirming(true)}
          pending={busy === "all"}
          disabled={!sessions || confirming}
          aria-expanded={confirming}
          aria-controls="logout-everywhere-confirm"
        >
          Log out everywhere
        </Button>
      }
    >
      {confirming && (
        <div
          id="logout-everywhere-confirm"
          role="alertdialog"
          aria-labelledby="logout-everywhere-question"
          data-testid="logout-everywhere-confirm"
          className="mb-4 flex flex-wrap items-center justify-between gap-3 rounded-md bg-red-50 px-3.5 py-3 text-sm text-red-900 ring-1 ring-inset ring-red-200"
        >
          <p id="logout-everywhere-question">
            End all {sessions?.length ?? ""} sessions, on every device, including this one? Everyone
            using this account will have to sign in again.
          </p>
          <span className="flex gap-2">
            <Button variant="secondary" onClick={() => setConfirming(false)} autoFocus>
              Cancel
            </Button>
            <Button variant="danger" onClick={() => void logoutEverywhere()}>
              Yes, log out everywhere
            </Button>
          </span>
        </div>
      )}
      {error && <Alert tone="error">{error}</Alert>}
      {!sessions && !error && <p className="text-sm text-slate-500">Loading sessions…</p>}
      {sessions && (
        <ul className="divide-y divide-slate-100" data-testid="sessions">
          {sessions.map((session) => (
            <li
              key={session.id}
              data-testid="session-row"
              data-current={session.current || undefined}
              className="flex flex-wrap items-center justify-between gap-3 py-3"
            >
              <div className="min-w-0">
                <p className="flex items-center gap-2 text-sm font-medium text-slate-900">
                  {describeDevice(session.userAgent)}
                  {session.current && (
                    <span className="rounded-full bg-brand-50 px-2 py-0.5 text-xs font-medium text-brand-700 ring-1 ring-inset ring-brand-100">
                      This device
                    </span>
                  )}
                </p>
                <p className="mt-0.5 text-xs text-slate-500">
                  Signed in {formatDate(session.createdAt)} · last used{" "}
                  {formatDate(session.lastUsedAt)}
                  {session.ip && <> · {session.ip}</>}
                </p>
                <p className="text-xs text-slate-500">
                  Expires if idle until {formatDate(session.idleExpiresAt)}; at the latest{" "}
                  {formatDate(session.absoluteExpiresAt)}
                </p>
              </div>
              <Button
                variant="secondary"
                onClick={() => void revoke(session)}
                pending={busy === session.id}
                aria-label={
                  session.current
                    ? "Log out of this device"
                    : `Revoke session: ${describeDevice(session.userAgent)}, signed in ${formatDate(session.createdAt)}`
                }
              >
                {session.current ? "Log out" : "Revoke"}
              </Button>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
