"use client";

import { useEffect, useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { type AuthEvent, MAX_AUTH_EVENTS, authStore, useAuthStore } from "@/lib/client/auth-store";
import { API_PATH } from "@/lib/contract";
import {
  EVENT_CATEGORIES,
  type EventCategory,
  TONE_CLASSES,
  describeEvent,
  eventAttributes,
  kindOf,
} from "./event-kinds";
import { formatClock, formatOffset } from "./format";
import { type SavedLoad, clearSavedLoads, readSavedLoads, saveLoad } from "./saved-timeline";

/** This page load, for the saved timeline (saved-timeline.ts). */
const LOAD_ID = Math.random().toString(36).slice(2);

/** Where an event sits on this page load's own clock: monotonic when the browser has one. */
const tickOf = (event: AuthEvent) => event.elapsed ?? event.at;

const ALL_CATEGORIES = new Set<EventCategory>(EVENT_CATEGORIES.map((c) => c.id));

/**
 * The inspector's own reads of the server view: real requests, but noise next to the app's. Only
 * the `request` line is hidden; should such a read meet a 401, its `unauthorized` and `retry`
 * lines stay, naming the path, so a refresh never appears without its cause.
 */
function isInspectorRead(event: AuthEvent): boolean {
  return (
    event.type === "request" && event.method === "GET" && event.path === API_PATH.currentSession
  );
}

/**
 * The fetch wrapper's event log (`authStore.getState().events`), oldest first, with each entry's
 * time since the first one shown and since the previous one. Filterable by kind, exportable as
 * JSON. It sits in a live region (role="log"), so screen readers hear new entries.
 */
export function TimelineCard() {
  const events = useAuthStore((s) => s.events);
  const [shown, setShown] = useState<ReadonlySet<EventCategory>>(ALL_CATEGORIES);
  const [hideOwnReads, setHideOwnReads] = useState(true);
  const listRef = useRef<HTMLDivElement>(null);
  // Follow new entries, unless the reader has scrolled up to study older ones.
  const followRef = useRef(true);
  const filterId = useId();

  const visible = events.filter(
    (event) => shown.has(kindOf(event).category) && !(hideOwnReads && isInspectorRead(event)),
  );
  const lastSeq = visible.at(-1)?.seq;
  // Rendered only for a signed-in user, so never on the server: sessionStorage is there.
  const [earlier, setEarlier] = useState<SavedLoad[]>(() =>
    readSavedLoads().filter((load) => load.id !== LOAD_ID),
  );

  useEffect(() => {
    const list = listRef.current;
    if (list && followRef.current) list.scrollTop = list.scrollHeight;
  }, [lastSeq]);

  // Keep this page load's events for the next one. Saved from the store's own notification, not
  // a render effect: a forced sign-out records its last event and navigates in the same task.
  useEffect(() => {
    saveLoad(LOAD_ID, authStore.getState().events);
    return authStore.subscribe((state, previous) => {
      if (state.events !== previous.events) saveLoad(LOAD_ID, state.events);
    });
  }, []);

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
      note: "The fetch wrapper's auth events (lib/client/auth-events.ts): `type` and its data fields. `at` is this tab's clock in ms.",
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
      description={`What the fetch wrapper did, as it happened (the last ${MAX_AUTH_EVENTS} events of this page load; earlier loads of this tab, such as the one a sign-out ended, are kept above it).`}
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
      {earlier.length > 0 && (
        <section aria-label="Earlier page loads" className="mb-3 space-y-2">
          {earlier.map((load) => {
            const shownEarlier = load.events.filter(
              (event) =>
                shown.has(kindOf(event).category) && !(hideOwnReads && isInspectorRead(event)),
            );
            return (
              <details
                key={load.id}
                open
                data-testid="earlier-load"
                {...endAttributes(load.events)}
                className="rounded-md ring-1 ring-slate-200 ring-inset"
              >
                <summary className="cursor-pointer px-3 py-2 text-xs font-medium text-slate-700">
                  Earlier page load, from {formatClock(load.startedAt)} ({load.events.length}{" "}
                  events, ending with {describeEnd(load.events)})
                </summary>
                <div className="max-h-60 overflow-y-auto border-t border-slate-100">
                  <TimelineEntries events={shownEarlier} testId="earlier-timeline-entry" />
                </div>
              </details>
            );
          })}
          <Button
            variant="secondary"
            onClick={() => {
              clearSavedLoads();
              setEarlier([]);
            }}
          >
            Clear earlier page loads
          </Button>
        </section>
      )}
      {visible.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing yet. Run a scenario.</p>
      ) : (
        // The live region wraps the list: a role on the <ol> itself would orphan its <li>s.
        <div
          ref={listRef}
          onScroll={(event) => {
            const list = event.currentTarget;
            followRef.current = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
          }}
          role="log"
          aria-label="Auth events"
          tabIndex={0}
          data-testid="timeline"
          className="max-h-[30rem] overflow-y-auto rounded-md ring-1 ring-slate-200 ring-inset"
        >
          <TimelineEntries events={visible} testId="timeline-entry" />
        </div>
      )}
    </Card>
  );
}

/** The last event of a load, which usually says why it ended ("signed_out" and its reason). */
function describeEnd(events: AuthEvent[]): string {
  const last = events.at(-1);
  if (!last) return "nothing";
  const text = describeEvent(last);
  return text ? `${last.type} ${text}` : last.type;
}

/** The last event's data, as `data-end-*` attributes of the earlier load. */
function endAttributes(events: AuthEvent[]): Record<`data-${string}`, string> {
  const last = events.at(-1);
  if (!last) return {};
  return Object.fromEntries(
    Object.entries(eventAttributes(last)).map(([name, value]) => [
      name.replace(/^data-/, "data-end-"),
      value,
    ]),
  );
}

/**
 * Entries, oldest first: time since the first shown (on the monotonic clock, so setting the wall
 * clock back never makes it run backwards; the wall-clock time is in the tooltip), the gap to the
 * previous entry, the event and its detail.
 */
function TimelineEntries({ events, testId }: { events: AuthEvent[]; testId: string }) {
  const first = events[0];
  return (
    <ol className="divide-y divide-slate-100">
      {events.map((event, index) => {
        const kind = kindOf(event);
        const previous = events[index - 1];
        return (
          <li
            key={event.seq}
            data-testid={testId}
            {...eventAttributes(event)}
            className="grid grid-cols-[5.5rem_1fr] gap-x-3 px-3 py-1.5 text-xs sm:grid-cols-[5.5rem_4.5rem_10.5rem_1fr]"
          >
            <span
              className="font-mono text-slate-600 tabular-nums"
              title={formatClock(event.at)}
              data-testid="timeline-offset"
            >
              {formatOffset(tickOf(event) - (first ? tickOf(first) : tickOf(event)))}
            </span>
            <span className="hidden font-mono text-slate-600 tabular-nums sm:inline">
              {previous ? `Δ ${Math.round(tickOf(event) - tickOf(previous))} ms` : ""}
            </span>
            <span>
              <span
                className={`inline-block rounded px-1.5 py-0.5 font-mono font-semibold ring-1 ring-inset ${TONE_CLASSES[kind.tone]}`}
              >
                {event.type}
              </span>
            </span>
            <span className="col-span-2 min-w-0 break-words text-slate-700 sm:col-span-1">
              {describeEvent(event)}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
