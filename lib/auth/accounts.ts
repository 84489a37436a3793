import "server-only";

import { currentTime } from "@/lib/auth/clock";
import { EmailTaken, InvalidCredentials } from "@/lib/auth/errors";
import { hashPassword, verifyAgainstDummyHash, verifyPassword } from "@/lib/auth/passwords";
import { type ClientInfo, type IssuedRefreshToken, startSession } from "@/lib/auth/sessions";
import { getDb } from "@/lib/db/client";
import { Prisma } from "@/lib/db/generated/client";
import type { LoginInput, RegisterInput } from "@/lib/validation/auth";

/** Notes every new account starts with, so the dashboard shows real protected data. */
const WELCOME_NOTES = [
  "This note came from GET /api/notes, which only answers with a valid access token.",
  "Your access token lives in memory only; reload the page and it is restored from the httpOnly refresh cookie.",
  "Open the Sessions page in another browser to see two refresh-token families side by side.",
];

/**
 * Creates an account, its welcome notes and its first session in one
 * transaction. Input must already be validated (email normalised).
 *
 * @example
 * const { user, refreshToken, session } = await registerUser(input, { userAgent, ip });
 */
export async function registerUser(
  input: RegisterInput,
  client: ClientInfo,
): Promise<IssuedRefreshToken> {
  const db = await getDb();
  const passwordHash = await hashPassword(input.password);
  const now = currentTime();
  try {
    return await db.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: {
          email: input.email,
          name: input.name ?? null,
          passwordHash,
          createdAt: now,
          // Distinct timestamps keep the seeded notes in a stable order.
          notes: {
            create: WELCOME_NOTES.map((body, i) => ({
              body,
              createdAt: new Date(now.getTime() - (WELCOME_NOTES.length - i) * 1000),
            })),
          },
        },
      });
      return startSession(user.id, client, tx);
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new EmailTaken();
    }
    throw error;
  }
}

/**
 * Checks credentials and starts a session. Unknown email and wrong password
 * throw the same InvalidCredentials after the same amount of hashing work.
 *
 * @example
 * const { user, refreshToken } = await loginUser({ email, password }, { userAgent, ip });
 */
export async function loginUser(
  input: LoginInput,
  client: ClientInfo,
): Promise<IssuedRefreshToken> {
  const db = await getDb();
  const user = await db.user.findUnique({ where: { email: input.email } });
  if (!user) {
    await verifyAgainstDummyHash(input.password);
    throw new InvalidCredentials();
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) throw new InvalidCredentials();
  return startSession(user.id, client);
}

/** The public view of a user: what the API returns. */
export function toPublicUser(user: {
  id: string;
  email: string;
  name: string | null;
  createdAt: Date;
}) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    createdAt: user.createdAt.toISOString(),
  };
}
export type PublicUser = ReturnType<typeof toPublicUser>;
