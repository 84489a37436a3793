/**
 * Every `error.code` the API answers, and the one error shape that carries it:
 * `{ "error": { "code", "message", "fields"? } }`. Clients branch on `code`, never on `message`.
 *
 * Each code is spelled in error-codes.ts and nowhere else in production code: the server's error classes take
 * their code from `ERROR_CODE`, the browser compares against it.
 */
import { z } from "zod";
import { ERROR_CODE } from "./error-codes";

export { ERROR_CODE };

export type ErrorCode = (typeof ERROR_CODE)[keyof typeof ERROR_CODE];

/** The 401 codes of an access token the server refused: answered with `WWW-Authenticate: Bearer`. */
export const ACCESS_TOKEN_ERROR_CODES = [
  ERROR_CODE.tokenMissing,
  ERROR_CODE.tokenExpired,
  ERROR_CODE.tokenInvalid,
] as const;

/**
 * The 401 codes of a bound access token whose DPoP proof the API refused (lib/auth/authenticate.ts):
 * answered with `WWW-Authenticate: DPoP`. The browser answers them with one refresh and one retry,
 * as the access-token codes: the only honest causes (the key was replaced by a sign-in in another
 * tab, a device clock that jumped) are fixed by it, and a browser without its key fails that
 * refresh and signs out cleanly.
 */
export const ACCESS_PROOF_ERROR_CODES = [
  ERROR_CODE.dpopProofRequired,
  ERROR_CODE.invalidDpopProof,
  ERROR_CODE.dpopProofReplayed,
] as const;

/** What `POST /api/auth/refresh` answers with a 401 (the cookie is then cleared). */
export const REFRESH_REJECTION_CODES = [
  ERROR_CODE.refreshTokenMissing,
  ERROR_CODE.refreshTokenInvalid,
  ERROR_CODE.refreshTokenReused,
  ERROR_CODE.sessionExpired,
  ERROR_CODE.sessionRevoked,
  ERROR_CODE.dpopProofRequired,
  ERROR_CODE.invalidDpopProof,
  ERROR_CODE.dpopProofReplayed,
  ERROR_CODE.dpopKeyMismatch,
] as const;

export type RefreshRejectionCode = (typeof REFRESH_REJECTION_CODES)[number];

/** Per-field messages for forms: `{ email: ["Already taken"] }`. */
export const errorFieldsSchema = z.record(z.string(), z.array(z.string()));

/**
 * The body of every non-2xx answer. `message` is for people; a body without one (or with fields
 * of another shape) still yields its `code`.
 */
export const apiErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string().optional().catch(undefined),
    fields: errorFieldsSchema.optional().catch(undefined),
  }),
});

export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;
