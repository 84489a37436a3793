/**
 * The refresh protocol: one refresh at a time, in this tab and across tabs, that never spends the
 * refresh cookie twice and never signs anyone out for a fault that is not theirs.
 *
 * States of one refresh: idle -> waiting for the cross-tab lock -> (a fresher token arrived while
 * we waited? adopt it) -> POST /api/auth/refresh, with backoff retries on network errors and 5xx
 * -> refreshed | signed_out (refused) | stale (logout or login happened meanwhile: drop the
 * result) | unavailable (keep the session, try again on the next request or wake-up).
 *
 * The races it prevents:
 * 1. Stampede. Five requests fail with an expired token at once. Five refreshes would spend the
 *    same refresh token five times and the server would call that reuse. Instead the first 401
 *    starts the refresh and every other caller awaits the same promise (single-flight), then
 *    each retries once with the new token.
 * 2. Two tabs, one cookie. A Web Lock serialises their refreshes; because the browser stores the
 *    rotated cookie before the lock is released, the next tab in line sends the new cookie, never
 *    the spent one. A waiter that finds a fresher token than the one that failed (broadcast by the
 *    winner, tab-sync.ts) uses it instead. (Broadcast and lock release are not ordered; if the
 *    waiter gets the lock first it merely rotates once more, legitimately.)
 * 3. Resurrection. A refresh lands after the user logged out. Logout bumps the store's epoch and a
 *    result is applied only under the epoch it started in.
 * 4. A stuck holder. A waiter gives up on the lock after LOCK_ACQUIRE_TIMEOUT_MS and keeps its
 *    session without refreshing: spending the cookie while another tab may be mid-rotation is the
 *    one thing the lock exists to prevent.
 */
import type { AuthEventData, RefreshTrigger } from "./auth-events";
import { fingerprint } from "./auth-events";
import { type AuthState, type AuthStore, type SessionSnapshot, updateSession } from "./auth-store";
import { type Transient, withBackoff } from "./backoff";
import { type LockManagerLike, REFRESH_LOCK_NAME, type Timers } from "./browser-adapters";
import { API_PATH, ERROR_CODE, HEADER_NAME, type SignOutReason } from "@/lib/contract";
import { readErrorCode } from "./api-error";
import type { DeviceKey, SignedProof } from "./device-key";
import type { SignOut } from "./sign-out";
import {
  describeError,
  isTransientStatus,
  readJson,
  readSessionBody,
  toRejectionReason,
} from "./wire";

/** Longer than a healthy refresh with all its retries. */
export const LOCK_ACQUIRE_TIMEOUT_MS = 15_000;

/** A token this close to expiry is treated as expired: it could die on the way to the server. */
export const TOKEN_EXPIRY_MARGIN_MS = 2_000;

export type RefreshOutcome =
  | { kind: "refreshed"; accessToken: string }
  | { kind: "adopted"; accessToken: string }
  | { kind: "signed_out"; reason: SignOutReason }
  | { kind: "stale" }
  | { kind: "unavailable"; why: string };

type RefreshAttempt =
  { kind: "ok"; session: SessionSnapshot } | { kind: "rejected"; code: string | null } | Transient;

export interface RefreshCoordinatorOptions {
  store: AuthStore;
  fetch: typeof fetch;
  now(): number;
  /** `null`: in-tab single-flight only. */
  locks: LockManagerLike | null;
  timers: Timers;
  record(data: AuthEventData): void;
  signOut: SignOut;
  /** A refresh applied a new session: tell the other tabs, re-arm the timer. */
  onRefreshed(session: SessionSnapshot): void;
  /** The server refused the refresh (the session already ended here): tell the other tabs. */
  onRejected(reason: SignOutReason): void;
  /** Signs each refresh's DPoP proof (device-key.ts). Absent: refreshes carry none. */
  deviceKey?: DeviceKey;
}

export interface RefreshCoordinator {
  /** Refreshes, or joins the refresh under way. Resolves the new token, or null. */
  refresh(trigger: RefreshTrigger): Promise<string | null>;
  /** Before sending: waits for a refresh under way, or starts one for a token known to be dead. */
  settle(): Promise<void>;
  /** After `failedToken` got a 401: reuse a token someone obtained meanwhile, else refresh. */
  replace(failedToken: string | null): Promise<string | null>;
  /** Runs `work` holding the cross-tab refresh lock (no timeout), e.g. a password change. */
  withLock<T>(work: () => Promise<T>): Promise<T>;
  isTokenUsable(state: AuthState): state is AuthState & { accessToken: string };
}

/**
 * @example
 * const coordinator = createRefreshCoordinator({ store, fetch, now, locks, timers, record, signOut, onRefreshed, onRejected });
 * const token = await coordinator.refresh("unauthorized");
 */
export function createRefreshCoordinator(options: RefreshCoordinatorOptions): RefreshCoordinator {
  const { store, now, locks, timers, record, signOut } = options;
  let inFlight: Promise<string | null> | null = null;

  const sleep = (ms: number) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms));
  const isTokenUsable = (state: AuthState): state is AuthState & { accessToken: string } =>
    state.accessToken !== null &&
    state.accessTokenExpiresAt !== null &&
    state.accessTokenExpiresAt - now() > TOKEN_EXPIRY_MARGIN_MS;

  function refresh(trigger: RefreshTrigger): Promise<string | null> {
    inFlight ??= run(trigger).finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  async function run(trigger: RefreshTrigger): Promise<string | null> {
    const { epoch, accessToken: tokenAtStart } = store.getState();
    record({ type: "refresh_start", trigger });
    let outcome: RefreshOutcome;
    try {
      outcome = await withRefreshLock(() => refreshHoldingLock(epoch, tokenAtStart));
    } catch (error) {
      outcome = { kind: "unavailable", why: describeError(error) };
    }
    record({
      type: "refresh_end",
      outcome: outcome.kind,
      ...(outcome.kind === "signed_out" && { reason: outcome.reason }),
      ...(outcome.kind === "unavailable" && { why: outcome.why }),
    });

    switch (outcome.kind) {
      case "refreshed":
      case "adopted":
        return outcome.accessToken;
      case "signed_out":
        signOut.leave(
          trigger === "restore" ? "restore_rejected" : "refresh_rejected",
          outcome.reason,
        );
        return null;
      case "stale": {
        const state = store.getState();
        record({ type: "stale_result_ignored", startedInEpoch: epoch, currentEpoch: state.epoch });
        // Logged out meanwhile -> null. Logged in again meanwhile -> that session's token.
        return state.status === "authenticated" ? state.accessToken : null;
      }
      case "unavailable":
        return null;
    }
  }

  async function refreshHoldingLock(
    epochAtStart: number,
    tokenAtStart: string | null,
  ): Promise<RefreshOutcome> {
    const state = store.getState();
    if (
      state.status === "authenticated" &&
      state.accessToken !== tokenAtStart &&
      isTokenUsable(state)
    ) {
      record({ type: "token_adopted", source: "lock_wait", token: fingerprint(state.accessToken) });
      return { kind: "adopted", accessToken: state.accessToken };
    }
    if (state.epoch !== epochAtStart) return { kind: "stale" };

    const isCurrent = () => store.getState().epoch === epochAtStart;
    // Retrying after a network error is safe even if the server did rotate and only the answer was
    // lost: it accepts the just-replaced refresh token as the head's parent (GRACE).
    const attempt = await withBackoff(postRefresh, {
      sleep,
      shouldGoOn: isCurrent,
      onRetry: (why, retryInMs) =>
        record({ type: "attempt_failed", operation: "refresh", why, retryInMs }),
    });
    if (!isCurrent()) return { kind: "stale" };

    switch (attempt.kind) {
      case "ok":
        updateSession(store, attempt.session, epochAtStart);
        record({
          type: "rotation",
          cause: "refresh",
          token: fingerprint(attempt.session.accessToken),
        });
        options.onRefreshed(attempt.session);
        return { kind: "refreshed", accessToken: attempt.session.accessToken };
      case "rejected": {
        const reason = toRejectionReason(attempt.code);
        if (reason === ERROR_CODE.refreshTokenReused) record({ type: "reuse_detected" });
        signOut.end(reason);
        options.onRejected(reason);
        return { kind: "signed_out", reason };
      }
      case "transient":
        return { kind: "unavailable", why: attempt.why };
    }
  }

  /**
   * One refresh POST, with a proof by the device key. A `use_dpop_nonce` answer (the nonce this
   * tab had is old) or an `invalid_dpop_proof` one is signed again, once, with the nonce and the
   * server time the answer carried: neither changed anything on the server.
   */
  async function sendRefresh(): Promise<Response> {
    const send = async () => {
      const proof = (await options.deviceKey?.proof("POST", API_PATH.refresh)) ?? null;
      if (proof) recordProof(record, API_PATH.refresh, proof);
      const response = await options.fetch(API_PATH.refresh, {
        method: "POST",
        credentials: "same-origin",
        ...(proof !== null && { headers: { [HEADER_NAME.dpop]: proof.jwt } }),
      });
      await options.deviceKey?.rememberNonce(response);
      return response;
    };
    const response = await send();
    if (response.status !== 401 || !options.deviceKey) return response;
    // `invalid_dpop_proof` as well: the likeliest cause is this device's clock (a laptop that
    // slept through its monotonic clock), and the answer's `Date` has just corrected it.
    const code = await readErrorCode(response.clone());
    if (code !== ERROR_CODE.useDpopNonce && code !== ERROR_CODE.invalidDpopProof) return response;
    record({ type: "dpop_nonce_retry" });
    return send();
  }

  async function postRefresh(): Promise<RefreshAttempt> {
    const sentAt = now();
    let response: Response;
    try {
      response = await sendRefresh();
    } catch (error) {
      return { kind: "transient", why: `network error: ${describeError(error)}` };
    }
    if (response.ok) {
      const session = readSessionBody(await readJson(response), sentAt);
      return session
        ? { kind: "ok", session }
        : { kind: "transient", why: "malformed refresh response" };
    }
    if (isTransientStatus(response.status)) {
      return { kind: "transient", why: `HTTP ${response.status}` };
    }
    const code = await readErrorCode(response);
    // A late copy of this device's own refresh (another tab's, or one a proxy held): the server
    // changed nothing and kept the cookie, which is already newer. Not a reason to sign out.
    if (code === ERROR_CODE.refreshTokenSuperseded) {
      return { kind: "transient", why: "superseded by a newer refresh" };
    }
    return { kind: "rejected", code };
  }

  async function withRefreshLock(work: () => Promise<RefreshOutcome>): Promise<RefreshOutcome> {
    if (!locks) return work();
    const controller = new AbortController();
    const requestedAt = now();
    let acquired = false;
    const timeout = timers.setTimeout(() => controller.abort(), LOCK_ACQUIRE_TIMEOUT_MS);
    try {
      return await locks.request(REFRESH_LOCK_NAME, { signal: controller.signal }, () => {
        acquired = true;
        timers.clearTimeout(timeout);
        record({ type: "lock_acquired", waitedMs: now() - requestedAt });
        return work();
      });
    } catch (error) {
      if (acquired) throw error;
      if (controller.signal.aborted) {
        record({ type: "lock_timeout", afterMs: LOCK_ACQUIRE_TIMEOUT_MS });
        return { kind: "unavailable", why: "another tab held the refresh lock too long" };
      }
      // A LockManager that refuses outright (some embedded webviews) is treated as absent.
      return work();
    } finally {
      timers.clearTimeout(timeout);
    }
  }

  return {
    refresh,
    async settle() {
      if (inFlight) {
        await inFlight;
        return;
      }
      const state = store.getState();
      if (state.status === "authenticated" && !isTokenUsable(state)) await refresh("expired");
    },
    replace(failedToken) {
      const state = store.getState();
      if (state.accessToken !== failedToken && isTokenUsable(state)) {
        record({
          type: "token_adopted",
          source: "another_request",
          token: fingerprint(state.accessToken),
        });
        return Promise.resolve(state.accessToken);
      }
      return refresh("unauthorized");
    },
    withLock(work) {
      return locks ? locks.request(REFRESH_LOCK_NAME, {}, work) : work();
    },
    isTokenUsable,
  };
}

/** The inspector's line for a proof: which key signed it, for which request, with which jti. */
export function recordProof(
  record: (data: AuthEventData) => void,
  path: string,
  proof: SignedProof,
): void {
  record({ type: "dpop_proof", path, jti: proof.jti, key: proof.jkt, nonced: proof.nonced });
}
