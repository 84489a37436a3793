import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { readJsonBody } from "@/lib/http/body";
import { withErrorHandling } from "@/lib/http/respond";
import { createNote, listNotes } from "@/lib/notes";
import { createNoteSchema } from "@/lib/validation/notes";

/** GET /api/notes (Bearer) → the caller's notes, newest first. */
export const GET = withErrorHandling(async (request) => {
  const { sub: userId } = await authenticateRequest(request);
  return NextResponse.json({ notes: await listNotes(userId) });
});

/** POST /api/notes (Bearer) {body} → 201 { note }; 401 `token_invalid` when the user no longer exists. */
export const POST = withErrorHandling(async (request) => {
  const { sub: userId } = await authenticateRequest(request);
  const { body } = await readJsonBody(request, createNoteSchema);
  return NextResponse.json({ note: await createNote(userId, body) }, { status: 201 });
});
