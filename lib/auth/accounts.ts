import "server-only";

import { currentTime } from "@/lib/auth/clock";
import {
  AccessTokenInvalid,
  EmailTaken,
  InvalidCredentials,
  SessionRevoked,
  WrongCurrentPassword,
} from "@/lib/auth/errors";
import { getHashPool } from "@/lib/auth/hash-pool";
import { liveSessionWhere } from "@/lib/auth/live-session";
import { hashPassword, verifyAgainstDummyHash, verifyPassword } from "@/lib/auth/passwords";
import { type ClientInfo, type IssuedRefreshToken, startSession } from "@/lib/auth/sessions";
import {
  type AccountRow,
  type LoginRefund,
  consumeLoginAttemptAndFindAccount,
  consumePasswordChangeAttempt,
  consumeRegistrationAttempt,
} from "@/lib/auth/throttle";
import { securityEventData } from "@/lib/auth/security-events";
import { REVOKE_REASON, SECURITY_EVENT_KIND } from "@/lib/contract";
import { getDb } from "@/lib/db/client";
import { Prisma, type User } from "@/lib/db/generated/client";
import { recordEvent } from "@/lib/ops/events";
import type { LoginInput, RegisterInput } from "@/lib/validation/auth";

/**
 * What the app adds to a new account inside its creating transaction (the demo's welcome notes,
 * lib/notes.ts): auth knows accounts and sessions, not the app's data.
 */
export type OnAccountCreated = (
  tx: Prisma.TransactionClient,
  user: Pick<User, "id" | "createdAt">,
) => Promise<void>;

/**
 * Creates an account and its first session in one transaction, with whatever `onCreated` adds
 * in the same transaction. Input must already be validated (email normalised).
 * Takes a sign-up place in the hash pool first (ServerBusy, 503, at once when
 * there is none), then the registration limit's point (TooManyRegistrations,
 * 429), then hashes.
 *
 * @example
 * const { user, refreshToken, session } = await registerUser(input, { userAgent, ip });
 */
export async function registerUser(
  input: RegisterInput,
  client: ClientInfo,
  onCreated?: OnAccountCreated,
): Promise<IssuedRefreshToken> {
  // A full pool answers 503 before the rate limit's database write: a flood's excess costs no
  // query, and does not use up its address's registrations.
  const ticket = getHashPool().admit("sign-up");
  let passwordHash: string;
  try {
    await consumeRegistrationAttempt(client.ip);
    passwordHash = await hashPassword(input.password, ticket);
  } finally {
    ticket.release();
  }
  const db = await getDb();
  const now = currentTime();
  try {
    const registered = await db.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: { email: input.email, name: input.name ?? null, passwordHash, createdAt: now },
      });
      await onCreated?.(tx, user);
      const issued = await startSession(user.id, client, tx);
      await tx.authEvent.create({
        data: securityEventData(user.id, SECURITY_EVENT_KIND.signedIn, {
          sessionId: issued.session.id,
          userAgent: client.userAgent,
        }),
      });
      return issued;
    });
    recordEvent({
      event: "sign_up",
      outcome: "success",
      userId: registered.user.id,
      sessionId: registered.session.id,
    });
    return registered;
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new EmailTaken();
    }
    throw error;
  }
}

/**
 * Checks credentials and starts a session. Every attempt first takes its points
 * from the login throttle (lib/auth/throttle.ts: 429 before any hashing when a
 * limit refuses); a correct password gives them back. `deviceId` is this browser's
 * valid device cookie for the account (lib/auth/device-cookie.ts `readDeviceId`), or
 * null: with one, the attempt is counted on that device alone. Unknown email and wrong
 * password throw the same InvalidCredentials after the same amount of hashing
 * work.
 *
 * @example
 * const deviceId = await readDeviceId(request, email);
 * const { user, refreshToken } = await loginUser({ email, password }, { userAgent, ip }, deviceId);
 */
export async function loginUser(
  input: LoginInput,
  client: ClientInfo,
  deviceId: string | null = null,
): Promise<IssuedRefreshToken> {
  // The hash pool's place first (503 at once, before any write), then the throttle's point and
  // the account, one statement; the refund and the new session, one more.
  const ticket = getHashPool().admit("sign-in");
  let account: AccountRow | null;
  let refund: LoginRefund;
  let passwordMatches = false;
  try {
    ({ account, refund } = await consumeLoginAttemptAndFindAccount({
      email: input.email,
      ip: client.ip,
      deviceId,
    }));
    if (account) {
      passwordMatches = await verifyPassword(account.password_hash, input.password, ticket);
    } else await verifyAgainstDummyHash(input.password, ticket);
  } finally {
    ticket.release();
  }
  if (!account || !passwordMatches) {
    recordEvent({ event: "sign_in", outcome: "failure", reason: "invalid_credentials" });
    throw new InvalidCredentials();
  }
  // The "new sign-in" security event is written by the session's own statement (START_SESSION).
  const issued = await startSession(account.id, client, undefined, refund);
  recordEvent({
    event: "sign_in",
    outcome: "success",
    userId: issued.user.id,
    sessionId: issued.session.id,
  });
  return issued;
}

export type PasswordChanged = IssuedRefreshToken & {
  /** The user's other sessions that ended (the caller's own is replaced, not counted). */
  revokedSessions: number;
};

/**
 * Changes a signed-in user's password. Sensitive: call it only once the caller's session was
 * found live in the database (the route declares `session: "live"`, lib/auth/live-session.ts:
 * 401 `session_revoked` otherwise); the write below checks that again. The current
 * password is checked only after taking a point from this session's own counter
 * (lib/auth/throttle.ts, 5 per hour; 429 before any hashing when used up), never the
 * login counters: guesses at the login form cannot stop a signed-in owner, and a
 * stolen access token is a worse oracle than the login form.
 *
 * Success, in one transaction: the new hash; every session of the user
 * revoked (`REVOKE_REASON.passwordChanged`), the caller's included, so a thief who
 * shares the caller's session (a copied cookie) loses it too; and a new
 * session for the caller, whose refresh token the route sets as the cookie.
 * The caller's session is revoked by a compare-and-set on "still live", so a
 * revocation or a second password change that commits first wins and this one
 * answers SessionRevoked with nothing written.
 *
 * @example
 * const changed = await changePassword({ sub, sid }, { currentPassword, newPassword }, client);
 */
export async function changePassword(
  caller: { sub: string; sid: string },
  input: { currentPassword: string; newPassword: string },
  client: ClientInfo,
): Promise<PasswordChanged> {
  const db = await getDb();
  const user = await db.user.findUnique({ where: { id: caller.sub } });
  if (!user) throw new AccessTokenInvalid();
  const ticket = getHashPool().admit("sign-in");
  let passwordMatches: boolean;
  try {
    await consumePasswordChangeAttempt(caller.sid);
    passwordMatches = await verifyPassword(user.passwordHash, input.currentPassword, ticket);
  } finally {
    ticket.release();
  }
  if (!passwordMatches) {
    recordEvent({ event: "password_changed", outcome: "failure", userId: user.id });
    throw new WrongCurrentPassword();
  }
  const passwordHash = await hashPassword(input.newPassword);
  const changed = await db.$transaction(async (tx) => {
    const now = currentTime();
    const own = await tx.session.updateMany({
      where: liveSessionWhere(caller.sub, caller.sid, now),
      data: { revokedAt: now, revokeReason: REVOKE_REASON.passwordChanged },
    });
    // Throwing rolls the transaction back: nothing of this change is written.
    if (own.count !== 1) throw new SessionRevoked();
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    const others = await tx.session.updateMany({
      where: { userId: user.id, revokedAt: null },
      data: { revokedAt: now, revokeReason: REVOKE_REASON.passwordChanged },
    });
    // The new session stays bound to the device key of the one it replaces (lib/auth/dpop.ts).
    const replaced = await tx.session.findUnique({
      where: { id: caller.sid },
      select: { dpopJkt: true },
    });
    const issued = await startSession(
      user.id,
      { ...client, dpopJkt: replaced?.dpopJkt ?? null },
      tx,
    );
    await tx.authEvent.create({
      data: securityEventData(user.id, SECURITY_EVENT_KIND.passwordChanged, {
        sessionId: issued.session.id,
        userAgent: client.userAgent,
      }),
    });
    return { ...issued, revokedSessions: others.count };
  });
  recordEvent({
    event: "password_changed",
    outcome: "success",
    userId: user.id,
    sessionId: changed.session.id,
    revokedSessions: changed.revokedSessions,
  });
  return changed;
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
