import "server-only";

/**
 * The demo's protected data: a user's notes. Route handlers call these after
 * authenticating; nothing here knows about tokens.
 */
import { AccessTokenInvalid } from "@/lib/auth/errors";
import { getDb } from "@/lib/db/client";
import { Prisma } from "@/lib/db/generated/client";

export const NOTES_PAGE_SIZE = 100;

export type PublicNote = { id: string; body: string; createdAt: string };

function toPublicNote(note: { id: string; body: string; createdAt: Date }): PublicNote {
  return { id: note.id, body: note.body, createdAt: note.createdAt.toISOString() };
}

/**
 * The user's newest notes, newest first (at most NOTES_PAGE_SIZE).
 *
 * @example
 * const notes = await listNotes(userId);
 */
export async function listNotes(userId: string): Promise<PublicNote[]> {
  const db = await getDb();
  const notes = await db.note.findMany({
    where: { userId },
    orderBy: { createdAt: "desc" },
    take: NOTES_PAGE_SIZE,
  });
  return notes.map(toPublicNote);
}

/**
 * @example
 * const note = await createNote(userId, "Remember the milk");
 */
export async function createNote(userId: string, body: string): Promise<PublicNote> {
  const db = await getDb();
  try {
    return toPublicNote(await db.note.create({ data: { userId, body } }));
  } catch (error) {
    // A validly signed token for a user deleted since (the foreign key names no user): the same
    // answer as /api/me gives, not a 500.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2003") {
      throw new AccessTokenInvalid();
    }
    throw error;
  }
}
