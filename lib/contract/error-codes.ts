/**
 * Every `error.code` the API answers, spelled once. Imports nothing, so proxy.ts (which answers
 * the cookie cap's 431 before any route handler runs) can name a code without pulling zod into
 * its bundle; everything else imports it through lib/contract (errors.ts re-exports it).
 */
export const ERROR_CODE = {
  // Request plumbing (lib/http)
  invalidRequest: "invalid_request",
  invalidJson: "invalid_json",
  unsupportedMediaType: "unsupported_media_type",
  payloadTooLarge: "payload_too_large",
  crossSiteRequest: "cross_site_request",
  tooManyCookies: "too_many_cookies",
  testClockDisabled: "test_clock_disabled",
  notFound: "not_found",
  internalError: "internal_error",
  serviceUnavailable: "service_unavailable",
  metricsForbidden: "metrics_forbidden",
  // Accounts and sign-in
  invalidCredentials: "invalid_credentials",
  invalidCurrentPassword: "invalid_current_password",
  emailTaken: "email_taken",
  tooManyAttempts: "too_many_attempts",
  serverBusy: "server_busy",
  // Access tokens: the only codes that mean "refresh, then retry"
  tokenMissing: "token_missing",
  tokenExpired: "token_expired",
  tokenInvalid: "token_invalid",
  // Refresh tokens and sessions
  refreshTokenMissing: "refresh_token_missing",
  refreshTokenInvalid: "refresh_token_invalid",
  refreshTokenReused: "refresh_token_reused",
  /**
   * A late duplicate of the device's own request (lib/auth/sessions.ts, "Late duplicates"): a
   * spent token with a proof by the session's key, signed before its successor was presented.
   * Nothing changed and the cookie is kept; the client's newer cookie is the one to use.
   */
  refreshTokenSuperseded: "refresh_token_superseded",
  refreshCookieAmbiguous: "refresh_cookie_ambiguous",
  sessionExpired: "session_expired",
  sessionRevoked: "session_revoked",
  sessionNotFound: "session_not_found",
  // Device binding (lib/auth/dpop.ts): the proof a refresh, login or registration must carry
  dpopProofRequired: "dpop_proof_required",
  invalidDpopProof: "invalid_dpop_proof",
  dpopProofReplayed: "dpop_proof_replayed",
  /** RFC 9449's name: the answer carries a fresh nonce in `DPoP-Nonce`; sign again with it. */
  useDpopNonce: "use_dpop_nonce",
  /** The right cookie with a proof from another key: only a thief makes one. The session ends. */
  dpopKeyMismatch: "dpop_key_mismatch",
  // Development scenarios (the inspector)
  refreshCookieMismatch: "refresh_cookie_mismatch",
  captureNotFound: "capture_not_found",
} as const;
