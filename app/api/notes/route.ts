import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { getDb } from "@/lib/db/client";
import { readJsonBody } from "@/lib/http/body";
import { withErrorHandling } from "@/lib/http/respond";
import { createNoteSchema } from "@/lib/validation/notes";

const NOTES_PAGE_SIZE = 100;

function toPublicNote(note: { id: string; body: string; createdAt: Date }) {
  return { id: note.id, body: note.body, createdAt: note.createdAt.toISOString() };
}

/** GET /api/notes (Bearer) → the caller's notes, newest first. */
export const GET = withErrorHandling(async (request) => {
  const { sub: userId } = await authenticateRequest(request);
  const db = await getDb();
  const notes = await db.note.findMany({
    where: { userId },
    orderBy: { createdAt: "desc" },
    take: NOTES_PAGE_SIZE,
  });
  return NextResponse.json({ notes: notes.map(toPublicNote) });
});

/** POST /api/notes (Bearer) {body} → 201 { note }. */
export const POST = withErrorHandling(async (request) => {
  const { sub: userId } = await authenticateRequest(request);
  const { body } = await readJsonBody(request, createNoteSchema);
  const db = await getDb();
  const note = await db.note.create({ data: { userId, body } });
  return NextResponse.json({ note: toPublicNote(note) }, { status: 201 });
});
