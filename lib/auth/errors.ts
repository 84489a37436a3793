/**
 * Typed errors for the auth core, in the spirit of jose's `JWTExpired`: each
 * carries the stable `code` the HTTP contract promises and the status that
 * fits it. Route handlers turn them into `{ error: { code, message } }`.
 *
 * Only the three access-token codes (`ACCESS_TOKEN_ERROR_CODES` in lib/contract) answer 401 in a
 * way that tells a client "refresh and retry".
 */
import { ERROR_CODE } from "@/lib/contract";
import { defineAppError as defineError } from "@/lib/errors";

export class InvalidCredentials extends defineError(
  ERROR_CODE.invalidCredentials,
  401,
  "The email or password is incorrect.",
) {}
/** Password change with a wrong current password (403: the caller is signed in, so not a 401). */
export class WrongCurrentPassword extends defineError(
  ERROR_CODE.invalidCurrentPassword,
  403,
  "The current password is incorrect.",
) {}
export class EmailTaken extends defineError(
  ERROR_CODE.emailTaken,
  409,
  "An account with this email already exists.",
) {}

export class AccessTokenMissing extends defineError(
  ERROR_CODE.tokenMissing,
  401,
  "This request needs an access token (Authorization: Bearer …).",
) {}
export class AccessTokenExpired extends defineError(
  ERROR_CODE.tokenExpired,
  401,
  "The access token has expired.",
) {}
/** Every other verification failure. The message is deliberately generic. */
export class AccessTokenInvalid extends defineError(
  ERROR_CODE.tokenInvalid,
  401,
  "The access token is not valid.",
) {}

export class RefreshTokenMissing extends defineError(
  ERROR_CODE.refreshTokenMissing,
  401,
  "No refresh token was sent. Sign in again.",
) {}
export class RefreshTokenInvalid extends defineError(
  ERROR_CODE.refreshTokenInvalid,
  401,
  "The refresh token is not recognised. Sign in again.",
) {}
/** A spent refresh token came back: the whole session (family) is now revoked. */
export class RefreshTokenReused extends defineError(
  ERROR_CODE.refreshTokenReused,
  401,
  "This session was signed out because its refresh token was used twice, which suggests it was copied. Sign in again.",
) {}
export class SessionExpired extends defineError(
  ERROR_CODE.sessionExpired,
  401,
  "The session has expired. Sign in again.",
) {}
export class SessionRevoked extends defineError(
  ERROR_CODE.sessionRevoked,
  401,
  "The session was signed out. Sign in again.",
) {}
export class SessionNotFound extends defineError(
  ERROR_CODE.sessionNotFound,
  404,
  "No such session among yours.",
) {}

/**
 * Too many sign-in attempts (logins and wrong current passwords) for this account or address;
 * `Retry-After` says when to try again.
 */
export class TooManyLoginAttempts extends defineError(
  ERROR_CODE.tooManyAttempts,
  429,
  "Too many sign-in attempts. Wait a little, then try again.",
) {
  constructor(readonly retryAfterSeconds: number) {
    super();
    this.headers["Retry-After"] = String(retryAfterSeconds);
  }
}
/**
 * Too many current-password attempts from this session (lib/auth/throttle.ts, per session, never
 * the login counters). Same code as the login's: the client treats both alike.
 */
export class TooManyPasswordChangeAttempts extends defineError(
  ERROR_CODE.tooManyAttempts,
  429,
  "Too many attempts at the current password from this session. Wait a little, then try again.",
) {
  constructor(readonly retryAfterSeconds: number) {
    super();
    this.headers["Retry-After"] = String(retryAfterSeconds);
  }
}
/** Too many new accounts from this address (or, without a trusted proxy, this instance). */
export class TooManyRegistrations extends defineError(
  ERROR_CODE.tooManyAttempts,
  429,
  "Too many new accounts from here. Wait a little, then try again.",
) {
  constructor(readonly retryAfterSeconds: number) {
    super();
    this.headers["Retry-After"] = String(retryAfterSeconds);
  }
}
/**
 * The password-hashing queue of this process is full (lib/auth/hash-pool.ts): answered at
 * once, before any hashing, instead of queueing the request for seconds.
 */
export class ServerBusy extends defineError(
  ERROR_CODE.serverBusy,
  503,
  "The server is busy. Try again in a moment.",
) {
  constructor(readonly retryAfterSeconds = 1) {
    super();
    this.headers["Retry-After"] = String(retryAfterSeconds);
  }
}
