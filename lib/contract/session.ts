/**
 * A session as it crosses the wire: the body login, register, refresh and password change answer,
 * why a browser's session ended (`/login?reason=`), and why the server revoked one.
 */
import { z } from "zod";
import { ERROR_CODE } from "./errors";

/** Every reason a tab's session can end, as sent in `/login?reason=` and between tabs. */
export const SIGN_OUT_REASON = {
  refreshTokenReused: ERROR_CODE.refreshTokenReused,
  sessionExpired: ERROR_CODE.sessionExpired,
  sessionRevoked: ERROR_CODE.sessionRevoked,
  refreshTokenInvalid: ERROR_CODE.refreshTokenInvalid,
  refreshTokenMissing: ERROR_CODE.refreshTokenMissing,
  dpopProofRequired: ERROR_CODE.dpopProofRequired,
  invalidDpopProof: ERROR_CODE.invalidDpopProof,
  dpopProofReplayed: ERROR_CODE.dpopProofReplayed,
  dpopKeyMismatch: ERROR_CODE.dpopKeyMismatch,
  loggedOut: "logged_out",
  loggedOutElsewhere: "logged_out_elsewhere",
} as const;

export const SIGN_OUT_REASONS = [
  SIGN_OUT_REASON.refreshTokenReused,
  SIGN_OUT_REASON.sessionExpired,
  SIGN_OUT_REASON.sessionRevoked,
  SIGN_OUT_REASON.refreshTokenInvalid,
  SIGN_OUT_REASON.refreshTokenMissing,
  SIGN_OUT_REASON.dpopProofRequired,
  SIGN_OUT_REASON.invalidDpopProof,
  SIGN_OUT_REASON.dpopProofReplayed,
  SIGN_OUT_REASON.dpopKeyMismatch,
  SIGN_OUT_REASON.loggedOut,
  SIGN_OUT_REASON.loggedOutElsewhere,
] as const;

export type SignOutReason = (typeof SIGN_OUT_REASONS)[number];
export const signOutReasonSchema = z.enum(SIGN_OUT_REASONS);

/** Why the server revoked a session (`sessions.revoke_reason`; prisma/schema.prisma). */
export const REVOKE_REASON = {
  logout: "logout",
  revokedByUser: "revoked_by_user",
  logoutEverywhere: "logout_everywhere",
  refreshTokenReused: ERROR_CODE.refreshTokenReused,
  passwordChanged: "password_changed",
  dpopKeyMismatch: ERROR_CODE.dpopKeyMismatch,
} as const;

export const REVOKE_REASONS = [
  REVOKE_REASON.logout,
  REVOKE_REASON.revokedByUser,
  REVOKE_REASON.logoutEverywhere,
  REVOKE_REASON.refreshTokenReused,
  REVOKE_REASON.passwordChanged,
  REVOKE_REASON.dpopKeyMismatch,
] as const;

export type RevokeReason = (typeof REVOKE_REASONS)[number];

/** The user as the API shows it (never the password hash). */
export const publicUserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable().catch(null),
  /** ISO time. */
  createdAt: z.string(),
});

export type PublicUser = z.infer<typeof publicUserSchema>;

/**
 * The answer to register, login and refresh (the refresh token travels in its cookie).
 * `accessTokenExpiresIn` lets a client whose clock is wrong still time its refresh.
 */
export const sessionBodySchema = z.object({
  user: publicUserSchema,
  accessToken: z.string().min(1),
  /** ISO time the access token stops working, by the server's clock. */
  accessTokenExpiresAt: z.string(),
  /** The same as a lifetime in seconds. */
  accessTokenExpiresIn: z.number().finite().nonnegative(),
});

export type SessionBody = z.infer<typeof sessionBodySchema>;

/** The answer to a password change: a new session, and how many other sessions ended. */
export const passwordChangedBodySchema = sessionBodySchema.extend({
  revokedSessions: z.number().int().nonnegative(),
});
