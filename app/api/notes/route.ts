import { NextResponse } from "next/server";
import { defineRoute } from "@/lib/http/route";
import { createNote, listNotes } from "@/lib/notes";
import { createNoteSchema } from "@/lib/validation/notes";

/** GET /api/notes (Bearer) → the caller's notes, newest first. */
export const GET = defineRoute({ auth: "bearer" }, async ({ claims }) =>
  NextResponse.json({ notes: await listNotes(claims.sub) }),
);

/** POST /api/notes (Bearer) {body} → 201 { note }; 401 `token_invalid` when the user no longer exists. */
export const POST = defineRoute(
  { auth: "bearer", body: createNoteSchema },
  async ({ claims, body }) =>
    NextResponse.json({ note: await createNote(claims.sub, body.body) }, { status: 201 }),
);
