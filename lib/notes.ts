import "server-only";

/**
 * The demo's protected data: a user's notes. Route handlers call these after
 * authenticating; nothing here knows about tokens.
 */
import { AccessTokenInvalid } from "@/lib/auth/errors";
import { getDb } from "@/lib/db/client";
import { Prisma } from "@/lib/db/generated/client";

export const NOTES_PAGE_SIZE = 100;

/** Notes every new account starts with, so the dashboard shows real protected data. */
const WELCOME_NOTES = [
  "This note came from GET /api/notes, which only answers with a valid access token.",
  "Your access token lives in memory only; reload the page and it is restored from the httpOnly refresh cookie.",
  "Open the Sessions page in another browser to see two refresh-token families side by side.",
];

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

/**
 * Gives a new account its welcome notes, inside the transaction that creates it (lib/sign-up.ts
 * passes this to `registerUser`), dated just before the account so they sort in a stable order.
 *
 * @example
 * await registerUser(input, client, seedWelcomeNotes);
 */
export async function seedWelcomeNotes(
  tx: Prisma.TransactionClient,
  user: { id: string; createdAt: Date },
): Promise<void> {
  await tx.note.createMany({
    data: WELCOME_NOTES.map((body, i) => ({
      userId: user.id,
      body,
      createdAt: new Date(user.createdAt.getTime() - (WELCOME_NOTES.length - i) * 1000),
    })),
  });
}
