"use client";

import { type FormEvent, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { TextField } from "@/components/ui/text-field";
import { ApiError, type ApiErrorFields } from "@/lib/client/api-error";
import { apiJson, getAuthClient } from "@/lib/client/auth-client";
import { API_PATH, type SessionView, sessionViewBodySchema } from "@/lib/contract";
import {
  SESSION_POLICY_FIELDS,
  SESSION_POLICY_MINIMUMS,
  type SessionPolicy,
  type SessionPolicyOverrides,
} from "@/lib/validation/session-policy";
import { formatDuration } from "./format";

const FIELD_COPY: Record<keyof SessionPolicy, { label: string; effect: string }> = {
  accessTokenTtlSeconds: {
    label: "Access-token lifetime (s)",
    effect: "from the next refresh",
  },
  refreshGraceSeconds: {
    label: "Grace window (s)",
    effect: "at the next rotation check; 0 turns a lost answer into a sign-out",
  },
  idleTimeoutSeconds: {
    label: "Idle timeout (s)",
    effect: "now, counted from this moment; each refresh moves it",
  },
};

/**
 * Development only: shortens this session's lifetimes on the server (never beyond the server's
 * defaults) so their effect shows in seconds. Other sessions are untouched.
 */
export function PolicyCard({
  view,
  onApplied,
}: {
  view: SessionView | null;
  onApplied(view: SessionView): void;
}) {
  const [saving, setSaving] = useState(false);
  const [fields, setFields] = useState<ApiErrorFields>({});
  const [message, setMessage] = useState<{ tone: "info" | "error"; text: string } | null>(null);
  const [refreshing, setRefreshing] = useState(false);

  async function save(overrides: SessionPolicyOverrides) {
    setSaving(true);
    setFields({});
    setMessage(null);
    try {
      const { session } = await apiJson(API_PATH.currentSessionPolicy, sessionViewBodySchema, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(overrides),
      });
      onApplied(session);
      setMessage({
        tone: "info",
        text: "Applied to this session. The access-token lifetime shows from the next refresh.",
      });
    } catch (error) {
      if (error instanceof ApiError && error.fields) setFields(error.fields);
      else setMessage({ tone: "error", text: error instanceof Error ? error.message : "Failed." });
    } finally {
      setSaving(false);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const read = (name: string) => {
      const raw = String(data.get(name) ?? "").trim();
      return raw === "" ? null : Number(raw);
    };
    void save({
      accessTokenTtlSeconds: read("accessTokenTtlSeconds"),
      refreshGraceSeconds: read("refreshGraceSeconds"),
      idleTimeoutSeconds: read("idleTimeoutSeconds"),
    });
  }

  async function refreshNow() {
    setRefreshing(true);
    await getAuthClient().refresh();
    setRefreshing(false);
  }

  return (
    <Card
      title="Policy for this session"
      description="Development only. Shorten this session's lifetimes on the server and watch the effect; other sessions keep the server's defaults, and nothing can be made longer."
    >
      {!view ? (
        <p className="text-sm text-slate-500">Waiting for the server&apos;s view…</p>
      ) : (
        // Keyed by the stored values, so the inputs show them again after every save.
        <form
          key={JSON.stringify(view.policy.overrides)}
          onSubmit={onSubmit}
          aria-label="Policy for this session"
          className="space-y-4"
          noValidate
        >
          <div className="grid gap-4 sm:grid-cols-3">
            {SESSION_POLICY_FIELDS.map((name) => {
              const max = view.policy.defaults[name];
              const min = Math.min(SESSION_POLICY_MINIMUMS[name], max);
              const readable = max >= 3600 ? `, ${formatDuration(max * 1000)}` : "";
              return (
                <TextField
                  key={name}
                  name={name}
                  label={FIELD_COPY[name].label}
                  type="number"
                  inputMode="numeric"
                  min={min}
                  max={max}
                  step={1}
                  defaultValue={view.policy.overrides[name] ?? ""}
                  placeholder={`default ${max}`}
                  hint={`${min} to ${max} s (the server default${readable}). Takes effect ${FIELD_COPY[name].effect}.`}
                  errors={fields[name]}
                />
              );
            })}
          </div>
          <div className="flex flex-wrap gap-3">
            <Button type="submit" pending={saving}>
              Apply to this session
            </Button>
            <Button
              type="button"
              variant="secondary"
              disabled={saving}
              onClick={() =>
                void save({
                  accessTokenTtlSeconds: null,
                  refreshGraceSeconds: null,
                  idleTimeoutSeconds: null,
                })
              }
            >
              Back to the server defaults
            </Button>
          </div>
          {message && (
            <Alert tone={message.tone}>
              <span className="flex flex-wrap items-center justify-between gap-3">
                {message.text}
                {message.tone === "info" && (
                  <Button
                    type="button"
                    variant="secondary"
                    pending={refreshing}
                    onClick={() => void refreshNow()}
                  >
                    Refresh now
                  </Button>
                )}
              </span>
            </Alert>
          )}
        </form>
      )}
    </Card>
  );
}
