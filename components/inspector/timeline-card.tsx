"use client";

import { useEffect, useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { type AuthEvent, MAX_AUTH_EVENTS, useAuthStore } from "@/lib/client/auth-store";
import { EVENT_CATEGORIES, EVENT_KINDS, type EventCategory, TONE_CLASSES } from "./event-kinds";
import { formatClock, formatOffset } from "./format";
import { SESSION_VIEW_PATH } from "./session-view";

const ALL_CATEGORIES = new Set<EventCategory>(EVENT_CATEGORIES.map((c) => c.id));

/**
 * The inspector's own reads of the server view: real requests, but noise next to the app's. Only
 * the `request` line is hidden; should such a read meet a 401, its `unauthorized` and `retry`
 * lines stay, naming the path, so a refresh never appears without its cause.
 */
function isInspectorRead(event: AuthEvent): boolean {
  return event.type === "request" && event.detail === `GET ${SESSION_VIEW_PATH}`;
}

/**
 * The fetch wrapper's event log (`authStore.getState().events`), oldest first, with each entry's
 * time since the first one shown and since the previous one. Filterable by kind, exportable as
 * JSON. It is a live region (role="log"), so screen readers hear new entries.
 */
export function TimelineCard() {
  const events = useAuthStore((s) => s.events);
  const [shown, setShown] = useState<ReadonlySet<EventCategory>>(ALL_CATEGORIES);
  const [hideOwnReads, setHideOwnReads] = useState(true);
  const listRef = useRef<HTMLOListElement>(null);
  // Follow new entries, unless the reader has scrolled up to study older ones.
  const followRef = useRef(true);
  const filterId = useId();

  const visible = events.filter(
    (event) =>
      shown.has(EVENT_KINDS[event.type].category) && !(hideOwnReads && isInspectorRead(event)),
  );
  const first = visible[0];
  const lastSeq = visible.at(-1)?.seq;

  useEffect(() => {
    const list = listRef.current;
    if (list && followRef.current) list.scrollTop = list.scrollHeight;
  }, [lastSeq]);

  function toggle(category: EventCategory) {
    setShown((current) => {
      const next = new Set(current);
      if (next.has(category)) next.delete(category);
      else next.add(category);
      return next;
    });
  }

  function exportJson() {
    const body = {
      exportedAt: new Date().toISOString(),
      note: "The fetch wrapper's auth events (lib/client/auth-store.ts). `at` is this tab's clock in ms.",
      filter: { categories: [...shown], hideInspectorReads: hideOwnReads },
      events: visible,
    };
    const url = URL.createObjectURL(
      new Blob([JSON.stringify(body, null, 2)], { type: "application/json" }),
    );
    const link = document.createElement("a");
    link.href = url;
    link.download = `auth-events-${body.exportedAt.replace(/[:.]/g, "-")}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  }

  return (
    <Card
      title="Timeline"
      description={`What the fetch wrapper did, as it happened (the last ${MAX_AUTH_EVENTS} events of this page load).`}
      actions={
        <Button variant="secondary" onClick={exportJson} disabled={visible.length === 0}>
          Export JSON
        </Button>
      }
    >
      <fieldset className="mb-3" aria-describedby={`${filterId}-count`}>
        <legend className="sr-only">Show events of these kinds</legend>
        <div className="flex flex-wrap gap-x-4 gap-y-2 text-sm">
          {EVENT_CATEGORIES.map((category) => (
            <label key={category.id} className="inline-flex items-center gap-1.5 text-slate-700">
              <input
                type="checkbox"
                checked={shown.has(category.id)}
                onChange={() => toggle(category.id)}
                className="size-4 rounded border-slate-300 accent-brand-600"
              />
              {category.label}
            </label>
          ))}
          <label className="inline-flex items-center gap-1.5 text-slate-700">
            <input
              type="checkbox"
              checked={hideOwnReads}
              onChange={(e) => setHideOwnReads(e.target.checked)}
              className="size-4 rounded border-slate-300 accent-brand-600"
            />
            Hide the inspector&apos;s own reads
          </label>
        </div>
        <p id={`${filterId}-count`} className="mt-2 text-xs text-slate-500">
          Showing {visible.length} of {events.length} events.
        </p>
      </fieldset>
      {visible.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing yet. Run a scenario.</p>
      ) : (
        <ol
          ref={listRef}
          onScroll={(event) => {
            const list = event.currentTarget;
            followRef.current = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
          }}
          role="log"
          aria-label="Auth events"
          tabIndex={0}
          data-testid="timeline"
          className="max-h-[30rem] divide-y divide-slate-100 overflow-y-auto rounded-md ring-1 ring-slate-200 ring-inset"
        >
          {visible.map((event, index) => {
            const kind = EVENT_KINDS[event.type];
            const previous = visible[index - 1];
            return (
              <li
                key={event.seq}
                data-testid="timeline-entry"
                data-type={event.type}
                className="grid grid-cols-[5.5rem_1fr] gap-x-3 px-3 py-1.5 text-xs sm:grid-cols-[5.5rem_4.5rem_10.5rem_1fr]"
              >
                <span
                  className="font-mono text-slate-500 tabular-nums"
                  title={formatClock(event.at)}
                >
                  {formatOffset(event.at - (first?.at ?? event.at))}
                </span>
                <span className="hidden font-mono text-slate-500 tabular-nums sm:inline">
                  {previous ? `Δ ${event.at - previous.at} ms` : ""}
                </span>
                <span>
                  <span
                    className={`inline-block rounded px-1.5 py-0.5 font-mono font-semibold ring-1 ring-inset ${TONE_CLASSES[kind.tone]}`}
                  >
                    {event.type}
                  </span>
                </span>
                <span className="col-span-2 min-w-0 break-words text-slate-700 sm:col-span-1">
                  {event.detail ?? ""}
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </Card>
  );
}
