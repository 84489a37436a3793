import "server-only";

import { currentTime } from "@/lib/auth/clock";
import {
  AccessTokenInvalid,
  EmailTaken,
  InvalidCredentials,
  WrongCurrentPassword,
} from "@/lib/auth/errors";
import { hashPassword, verifyAgainstDummyHash, verifyPassword } from "@/lib/auth/passwords";
import { type ClientInfo, type IssuedRefreshToken, startSession } from "@/lib/auth/sessions";
import { assertLoginAllowed, clearLoginFailures, recordLoginFailure } from "@/lib/auth/throttle";
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
 * throw the same InvalidCredentials after the same amount of hashing work,
 * and both count against the login throttle (lib/auth/throttle.ts).
 *
 * @example
 * const { user, refreshToken } = await loginUser({ email, password }, { userAgent, ip });
 */
export async function loginUser(
  input: LoginInput,
  client: ClientInfo,
): Promise<IssuedRefreshToken> {
  await assertLoginAllowed(input.email, client.ip);
  const db = await getDb();
  const user = await db.user.findUnique({ where: { email: input.email } });
  let passwordMatches = false;
  if (user) passwordMatches = await verifyPassword(user.passwordHash, input.password);
  else await verifyAgainstDummyHash(input.password);
  if (!user || !passwordMatches) {
    await recordLoginFailure(input.email, client.ip);
    throw new InvalidCredentials();
  }
  await clearLoginFailures(input.email, client.ip);
  return startSession(user.id, client);
}

/**
 * Changes a signed-in user's password and revokes every other session of
 * theirs (reason `password_changed`); the session making the change stays.
 *
 * @example
 * await changePassword(userId, sessionId, { currentPassword, newPassword });
 */
export async function changePassword(
  userId: string,
  currentSessionId: string,
  input: { currentPassword: string; newPassword: string },
): Promise<{ revokedSessions: number }> {
  const db = await getDb();
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user) throw new AccessTokenInvalid();
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw new WrongCurrentPassword();
  }
  const passwordHash = await hashPassword(input.newPassword);
  const now = currentTime();
  const [, revoked] = await db.$transaction([
    db.user.update({ where: { id: userId }, data: { passwordHash } }),
    db.session.updateMany({
      where: { userId, revokedAt: null, NOT: { id: currentSessionId } },
      data: { revokedAt: now, revokeReason: "password_changed" },
    }),
  ]);
  return { revokedSessions: revoked.count };
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
