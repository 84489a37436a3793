/**
 * Typed errors for the auth core, in the spirit of jose's `JWTExpired`: each
 * carries the stable `code` the HTTP contract promises and the status that
 * fits it. Route handlers turn them into `{ error: { code, message } }`.
 *
 * Only the three access-token codes (`ACCESS_TOKEN_ERROR_CODES` in lib/contract) answer 401 in a
 * way that tells a client "refresh and retry".
 */
import { ERROR_CODE, HEADER_NAME } from "@/lib/contract";
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
/**
 * A late duplicate: a spent token with a proof by the session's own key, signed before the
 * token's successor was presented (lib/auth/sessions.ts, "Late duplicates"). Nothing is written
 * and the cookie is kept: the device already holds a newer one.
 */
export class RefreshTokenSuperseded extends defineError(
  ERROR_CODE.refreshTokenSuperseded,
  409,
  "This refresh token was already replaced by a newer one from this device. Nothing changed; refresh again with the current cookie.",
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

/** Device binding is on and the request carried no DPoP proof (lib/auth/dpop.ts). */
export class DpopProofRequired extends defineError(
  ERROR_CODE.dpopProofRequired,
  401,
  "This request needs a proof from the device's session key (DPoP header). Sign in again on this device.",
) {}
/** A DPoP proof that is malformed, badly signed, made for another request, or too old. */
export class InvalidDpopProof extends defineError(
  ERROR_CODE.invalidDpopProof,
  401,
  "The DPoP proof is not valid.",
) {}
/** A DPoP proof whose `jti` a refresh already accepted. */
export class DpopProofReplayed extends defineError(
  ERROR_CODE.dpopProofReplayed,
  401,
  "This DPoP proof was already used.",
) {}
/**
 * The proof is missing the server's nonce or carries an old one: sign again with the one in
 * `DPoP-Nonce` (RFC 9449 §8). The client retries once; nothing else changed.
 */
export class UseDpopNonce extends defineError(
  ERROR_CODE.useDpopNonce,
  401,
  "Sign the DPoP proof again with the nonce in the DPoP-Nonce header.",
) {
  constructor(readonly nonce: string) {
    super();
    this.headers[HEADER_NAME.dpopNonce] = nonce;
    this.headers["WWW-Authenticate"] = 'DPoP error="use_dpop_nonce"';
  }
}
/**
 * The right refresh cookie with a proof by another key: only someone holding the cookie without
 * the device's key makes that, so the session (its whole family) is revoked.
 */
export class DpopKeyMismatch extends defineError(
  ERROR_CODE.dpopKeyMismatch,
  401,
  "This session's refresh token was presented from another device, so the session was signed out. Sign in again.",
) {}
