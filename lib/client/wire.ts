/**
 * Reading the API's answers in the browser, with the contract's schemas (lib/contract): what a
 * session body becomes in this tab, which 401 codes mean "refresh and retry", which refusals end
 * the session, and which failures are worth trying again.
 */
import {
  ACCESS_PROOF_ERROR_CODES,
  ACCESS_TOKEN_ERROR_CODES,
  ERROR_CODE,
  passwordChangedBodySchema,
  REFRESH_REJECTION_CODES,
  type SessionBody,
  sessionBodySchema,
  type SignOutReason,
} from "@/lib/contract";
import type { SessionSnapshot } from "./auth-store";

/**
 * The 401 codes a protected route answers that mean "refresh once, then retry".
 * `ERROR_CODE.sessionRevoked` is one of them: the access token's session was revoked (instant revocation), but the refresh
 * cookie may already belong to a newer session (a password change starts one), so one refresh
 * decides; if it fails, the tab signs out with the refresh's reason. So are the DPoP proof
 * refusals of a bound access token (`ACCESS_PROOF_ERROR_CODES`): the refresh either binds a new
 * token to the key this browser holds now, or fails (no key) and signs the tab out. Either way
 * one 401 buys at most one refresh and one retry, so a proof that keeps failing is no loop.
 */
const REFRESHABLE_401_CODES: ReadonlySet<string> = new Set([
  ...ACCESS_TOKEN_ERROR_CODES,
  ...ACCESS_PROOF_ERROR_CODES,
  ERROR_CODE.sessionRevoked,
]);

const REFRESH_REJECTIONS: ReadonlySet<string> = new Set(REFRESH_REJECTION_CODES);

/**
 * Whether a protected route's 401 code is worth one refresh and one retry.
 *
 * @example
 * isRefreshable401(ERROR_CODE.tokenExpired); // true
 * isRefreshable401(ERROR_CODE.refreshTokenReused); // false: passed to the caller
 */
export function isRefreshable401(code: string | null): boolean {
  return code !== null && REFRESHABLE_401_CODES.has(code);
}

/**
 * A status that says "not now" rather than "no": try again later, keep the session.
 *
 * @example
 * isTransientStatus(503); // true
 */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Why the session ends after the refresh endpoint refused: its code, or
 * `ERROR_CODE.refreshTokenInvalid` for any code it is not supposed to answer.
 *
 * @example
 * toRejectionReason(ERROR_CODE.sessionExpired); // that reason
 * toRejectionReason("teapot"); // SIGN_OUT_REASON.refreshTokenInvalid
 */
export function toRejectionReason(code: string | null): SignOutReason {
  return code !== null && REFRESH_REJECTIONS.has(code)
    ? (code as SignOutReason)
    : ERROR_CODE.refreshTokenInvalid;
}

/**
 * A session body (login, register, refresh) as this tab applies it, or null when the body is not
 * one. The expiry is anchored to `sentAt`, our own clock at the moment we asked: the token cannot
 * have been issued earlier, so this errs on the safe side, and it never compares our clock with
 * the server's absolute `accessTokenExpiresAt`.
 *
 * @example
 * const sentAt = Date.now();
 * const session = readSessionBody(await response.json(), sentAt);
 */
export function readSessionBody(body: unknown, sentAt: number): SessionSnapshot | null {
  const parsed = sessionBodySchema.safeParse(body);
  return parsed.success ? toSnapshot(parsed.data, sentAt) : null;
}

/**
 * The answer to a password change: the new session, and how many other sessions ended.
 *
 * @example
 * readPasswordChangedBody(body, sentAt)?.revokedSessions; // 2
 */
export function readPasswordChangedBody(
  body: unknown,
  sentAt: number,
): { session: SessionSnapshot; revokedSessions: number } | null {
  const parsed = passwordChangedBodySchema.safeParse(body);
  if (!parsed.success) return null;
  return { session: toSnapshot(parsed.data, sentAt), revokedSessions: parsed.data.revokedSessions };
}

/**
 * The JSON body of a response, or null when there is none or it does not parse.
 *
 * @example
 * const body = await readJson(response);
 */
export function readJson(response: Response): Promise<unknown> {
  return response.json().catch(() => null);
}

/** An error's message for the event log. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toSnapshot(body: SessionBody, sentAt: number): SessionSnapshot {
  return {
    user: body.user,
    accessToken: body.accessToken,
    issuedAt: sentAt,
    expiresAt: sentAt + body.accessTokenExpiresIn * 1000,
  };
}
