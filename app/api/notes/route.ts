import { NextResponse } from "next/server";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { AccessTokenInvalid } from "@/lib/auth/errors";
import { getDb } from "@/lib/db/client";
import { Prisma } from "@/lib/db/generated/client";
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

/** POST /api/notes (Bearer) {body} → 201 { note }; 401 `token_invalid` when the user no longer exists. */
export const POST = withErrorHandling(async (request) => {
  const { sub: userId } = await authenticateRequest(request);
  const { body } = await readJsonBody(request, createNoteSchema);
  const db = await getDb();
  try {
    const note = await db.note.create({ data: { userId, body } });
    return NextResponse.json({ note: toPublicNote(note) }, { status: 201 });
  } catch (error) {
    // A validly signed token for a user deleted since (the foreign key names no user): the same
    // answer as /api/me gives, not a 500.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2003") {
      throw new AccessTokenInvalid();
    }
    throw error;
  }
});
