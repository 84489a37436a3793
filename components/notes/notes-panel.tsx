"use client";

import { type FormEvent, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ApiError } from "@/lib/client/api-error";
import { apiJson } from "@/lib/client/auth-client";
import { useApiResource } from "@/lib/client/use-api-resource";
import { API_PATH, noteBodySchema, notesBodySchema } from "@/lib/contract";
import { NOTE_MAX_LENGTH } from "@/lib/validation/limits";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * The user's protected notes, listed and added through the fetch wrapper: if
 * the access token has expired meanwhile, the wrapper refreshes it and retries,
 * and this component never knows.
 */
export function NotesPanel() {
  const resource = useApiResource(API_PATH.notes, notesBodySchema, "Could not load your notes.");
  const notes = resource.data?.notes ?? null;
  const loadError = resource.error;
  const [draft, setDraft] = useState("");
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);

  async function addNote(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaving(true);
    setSaveError(null);
    try {
      const { note } = await apiJson(API_PATH.notes, noteBodySchema, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ body: draft }),
      });
      resource.setData((current) => ({ notes: [note, ...(current?.notes ?? [])] }));
      setDraft("");
    } catch (error) {
      setSaveError(
        error instanceof ApiError
          ? (error.fields?.body?.join(" ") ?? error.message)
          : "Could not save the note. Check your connection and try again.",
      );
    } finally {
      setSaving(false);
    }
  }

  return (
    <Card
      title="Your notes"
      description={
        <>
          Protected data from <code className="font-mono text-xs">GET /api/notes</code>.
        </>
      }
      actions={
        <Button variant="secondary" onClick={resource.reload}>
          Reload
        </Button>
      }
    >
      <form onSubmit={addNote} className="flex flex-col gap-2 sm:flex-row" aria-label="Add a note">
        <label htmlFor="new-note" className="sr-only">
          New note
        </label>
        <input
          id="new-note"
          name="body"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          maxLength={NOTE_MAX_LENGTH}
          placeholder="Write a note…"
          aria-invalid={!!saveError || undefined}
          className="block w-full rounded-md border-0 px-3 py-2 text-sm shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-brand-500 focus:outline-none"
        />
        <Button type="submit" pending={saving} className="shrink-0 whitespace-nowrap">
          Add note
        </Button>
      </form>
      {saveError && (
        <div className="mt-3">
          <Alert tone="error">{saveError}</Alert>
        </div>
      )}
      <div className="mt-4">
        {loadError && <Alert tone="error">{loadError}</Alert>}
        {!notes && !loadError && <p className="text-sm text-slate-500">Loading notes…</p>}
        {notes && notes.length === 0 && <p className="text-sm text-slate-500">No notes yet.</p>}
        {notes && notes.length > 0 && (
          <ul className="divide-y divide-slate-100" data-testid="notes">
            {notes.map((note) => (
              <li key={note.id} className="py-3">
                <p className="text-sm text-slate-800">{note.body}</p>
                <time dateTime={note.createdAt} className="text-xs text-slate-500">
                  {dateFormat.format(new Date(note.createdAt))}
                </time>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Card>
  );
}
