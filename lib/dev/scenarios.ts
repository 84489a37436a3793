import "server-only";

/**
 * The inspector's scenarios that need the server's help: each one runs the real auth code and
 * only supplies the situation that is hard to arrange from a browser. Reached only through
 * lib/dev/gate.ts (`loadDevScenarios`), which lets a request through only when AUTH_DEV_SCENARIOS
 * is on and the server is local.
 *
 * - A refresh token replayed by a thief. The page can never read its refresh token (httpOnly),
 *   which is the point. `captureRefreshToken` keeps the cookie's current value on the server,
 *   keyed by a random capture id, for CAPTURE_TTL_SECONDS; the page only ever holds the id.
 *   `replayCapturedRefreshToken` later presents the captured value to `rotateRefreshToken`, the
 *   same call the refresh route makes, so the verdict (GRACE, or REUSED and the family revoked)
 *   comes from the real state machine. Nothing waits for a window to close: the page refreshes
 *   twice (the first refresh spends the copy, the second presents the copy's successor), after
 *   which the copy, no longer the parent of an unpresented head, is REUSED at once.
 * - A refresh answer lost on the network. `rotateLosingTheAnswer` performs a real rotation and
 *   its route answers without the new cookie or access token, as if the connection dropped after
 *   the server committed. The browser still holds the old cookie, and the page's next refresh
 *   presents it: the parent of a head nobody has presented, so GRACE.
 *
 * (The third scenario, an expired access token, needs no flag and is not a development tool:
 * lib/auth/expired-access-token.ts.)
 *
 * IMPORTANT: a capture is a raw refresh token held in server memory, the one thing the database
 * never stores. That is why captures exist only behind the flag, only for the caller's own
 * session, never leave the server, expire within minutes, and are deleted once replayed.
 *
 * Both present the token as if signed by the session's own device key (`asTheSessionsKey`): the
 * replaying thief of the first scenario holds the cookie *and* the key, as malware running inside
 * the victim's browser would, which is the case device binding cannot stop and rotation still
 * catches. (The thief without the key is the e2e test e2e/device-binding.spec.ts: refused.)
 */
import { randomBytes } from "node:crypto";
import { LRUCache } from "lru-cache";
import { currentTime } from "@/lib/auth/clock";
import { RefreshTokenInvalid, RefreshTokenMissing } from "@/lib/auth/errors";
import { hashRefreshToken, isWellFormedRefreshToken } from "@/lib/auth/refresh-token-value";
import { type SessionView, describeSession } from "@/lib/auth/session-family";
import { rotateRefreshToken } from "@/lib/auth/sessions";
import type { VerifiedProof } from "@/lib/auth/dpop";
import { ERROR_CODE } from "@/lib/contract";
import type { AccessTokenClaims } from "@/lib/auth/tokens";
import { getDb } from "@/lib/db/client";
import { AppError, defineAppError } from "@/lib/errors";

/** How long a captured refresh token can be replayed. */
export const CAPTURE_TTL_SECONDS = 5 * 60;
/** Captures kept per process at most; the least recently used go first. */
export const MAX_CAPTURES = 100;

/** The browser's refresh cookie belongs to another session than its access token. */
export class RefreshCookieMismatch extends defineAppError(
  ERROR_CODE.refreshCookieMismatch,
  409,
  "The refresh cookie in this browser belongs to another session than your access token. Reload the page and try again.",
) {}
export class CaptureNotFound extends defineAppError(
  ERROR_CODE.captureNotFound,
  404,
  "No such capture for this session: it was replayed already or has expired.",
) {}

type Caller = Pick<AccessTokenClaims, "sub" | "sid">;

type Capture = {
  rawToken: string;
  userId: string;
  sessionId: string;
  generation: number;
  /** By the app's clock (lib/auth/clock.ts), which the test clock can move. */
  expiresAt: number;
};

const globalForCaptures = globalThis as typeof globalThis & {
  __refreshTokenCaptures?: LRUCache<string, Capture>;
};

/**
 * This process's captures. Two clocks on purpose: the cache's own `ttl` (real time, purged on
 * time) makes sure no raw token outlives CAPTURE_TTL_SECONDS in memory, and `expiresAt` is the
 * expiry the API states, checked by the app's clock at replay.
 */
function captures(): LRUCache<string, Capture> {
  globalForCaptures.__refreshTokenCaptures ??= new LRUCache<string, Capture>({
    max: MAX_CAPTURES,
    ttl: CAPTURE_TTL_SECONDS * 1000,
    ttlAutopurge: true,
  });
  return globalForCaptures.__refreshTokenCaptures;
}

/** The generation of the cookie's token, after checking it belongs to the caller's session. */
async function readCallersToken(
  rawToken: string | undefined,
  caller: Caller,
): Promise<{ rawToken: string; generation: number }> {
  if (!rawToken) throw new RefreshTokenMissing();
  if (!isWellFormedRefreshToken(rawToken)) throw new RefreshTokenInvalid();
  const db = await getDb();
  const token = await db.refreshToken.findUnique({
    where: { tokenHash: hashRefreshToken(rawToken) },
    select: { generation: true, session: { select: { id: true, userId: true } } },
  });
  if (!token) throw new RefreshTokenInvalid();
  if (token.session.id !== caller.sid || token.session.userId !== caller.sub) {
    throw new RefreshCookieMismatch();
  }
  return { rawToken, generation: token.generation };
}

/**
 * Keeps the value of the caller's refresh cookie on the server for CAPTURE_TTL_SECONDS and
 * returns an id for it (the value itself never leaves the server).
 *
 * @example
 * const { captureId, generation } = await captureRefreshToken(readRefreshCookie(request), claims);
 */
export async function captureRefreshToken(
  rawToken: string | undefined,
  caller: Caller,
): Promise<{ captureId: string; generation: number; expiresAt: Date }> {
  const token = await readCallersToken(rawToken, caller);
  const now = currentTime().getTime();
  const store = captures();
  const captureId = randomBytes(16).toString("base64url");
  const expiresAt = now + CAPTURE_TTL_SECONDS * 1000;
  store.set(captureId, {
    rawToken: token.rawToken,
    userId: caller.sub,
    sessionId: caller.sid,
    generation: token.generation,
    expiresAt,
  });
  return { captureId, generation: token.generation, expiresAt: new Date(expiresAt) };
}

export type ReplayVerdict =
  | { accepted: true; via: "rotated" | "grace"; generation: number }
  | { accepted: false; status: number; code: string; message: string };

/**
 * Presents a captured refresh token to `rotateRefreshToken`, as a thief holding a copy of the
 * cookie would, and reports what the thief was told, with the server's view of the session right
 * after (lib/auth/session-family.ts). Whatever the thief was issued is thrown away. The capture
 * is deleted. Throws CaptureNotFound for an unknown, expired or foreign capture.
 *
 * @example
 * const { verdict, session } = await replayCapturedRefreshToken(captureId, claims);
 * // after the copy's successor was presented: { accepted: false, status: 401, code: ERROR_CODE.refreshTokenReused, … }
 */
export async function replayCapturedRefreshToken(
  captureId: string,
  caller: Caller,
): Promise<{ capturedGeneration: number; verdict: ReplayVerdict; session: SessionView }> {
  const replay = await presentCapture(captureId, caller);
  return { ...replay, session: await describeSession(caller.sub, caller.sid) };
}

async function presentCapture(
  captureId: string,
  caller: Caller,
): Promise<{ capturedGeneration: number; verdict: ReplayVerdict }> {
  const store = captures();
  const capture = store.get(captureId);
  if (
    !capture ||
    capture.expiresAt <= currentTime().getTime() ||
    capture.sessionId !== caller.sid ||
    capture.userId !== caller.sub
  ) {
    throw new CaptureNotFound();
  }
  store.delete(captureId);
  try {
    const outcome = await rotateRefreshToken(
      capture.rawToken,
      await asTheSessionsKey(capture.sessionId),
    );
    return {
      capturedGeneration: capture.generation,
      verdict: { accepted: true, via: outcome.via, generation: outcome.session.headGeneration },
    };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return {
      capturedGeneration: capture.generation,
      verdict: { accepted: false, status: error.status, code: error.code, message: error.message },
    };
  }
}

/**
 * Rotates the caller's refresh token for real and reports only the generation it reached: the
 * route sends neither the new cookie nor the access token, as if the answer had been lost.
 *
 * @example
 * const { spentGeneration, headGeneration } = await rotateLosingTheAnswer(readRefreshCookie(request), claims);
 */
export async function rotateLosingTheAnswer(
  rawToken: string | undefined,
  caller: Caller,
): Promise<{ spentGeneration: number; headGeneration: number; via: "rotated" | "grace" }> {
  const token = await readCallersToken(rawToken, caller);
  const outcome = await rotateRefreshToken(token.rawToken, await asTheSessionsKey(caller.sid));
  return {
    spentGeneration: token.generation,
    headGeneration: outcome.session.headGeneration,
    via: outcome.via,
  };
}

/**
 * A stand-in for a proof by the session's own key (module comment), with a fresh jti; null for
 * an unbound session.
 */
async function asTheSessionsKey(sessionId: string): Promise<VerifiedProof | null> {
  const db = await getDb();
  const session = await db.session.findUnique({
    where: { id: sessionId },
    select: { dpopJkt: true },
  });
  if (!session?.dpopJkt) return null;
  return {
    jkt: session.dpopJkt,
    jti: randomBytes(16).toString("base64url"),
    issuedAt: new Date(),
    jtiExpiresAt: new Date(Date.now() + 15 * 60_000),
  };
}
