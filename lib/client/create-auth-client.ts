/**
 * `createAuthClient`: the fetch wrapper, composed from its parts. The app's one instance and the
 * functions pages call live in auth-client.ts; tests build their own instances here.
 *
 * States of the session (kept in `auth-store.ts`):
 *
 *   unknown --restoreSession()--> authenticated --refresh rejected / logout--> signed_out
 *                                 ^          |                                   |
 *                                 +-refresh--+           login (here or another tab)
 *
 * The parts, each with its own job and tests:
 *   refresh-coordinator.ts  single-flight refresh, the cross-tab lock, backoff, stale results
 *   tab-sync.ts             tabs tell each other about sessions and sign-outs
 *   proactive-refresh.ts    refresh before expiry; re-check after sleep and on wake-up
 *   sign-out.ts             ending a session here, and the one place that navigates because of it
 *   wire.ts                 reading answers with the contract's schemas (lib/contract)
 *   device-key.ts           the session's non-extractable key and its DPoP proofs
 *   browser-adapters.ts     Web Locks, BroadcastChannel, page lifecycle, timers
 *   devtools.ts             the inspector's extension point (off the public interface)
 * This module keeps what is about requests: one 401 buys at most one refresh and one retry (no
 * loops), the access token is only ever sent to this origin, and each send carries a proof by
 * the device key (`sendWithToken`).
 */
import type { z } from "zod";
import { API_PATH, HEADER_NAME, SIGN_OUT_REASON } from "@/lib/contract";
import { malformedResponse, readApiError, readErrorCode } from "./api-error";
import { type AuthEventData, fingerprint } from "./auth-events";
import {
  createAuthStore,
  recordAuthEvent,
  startSession,
  updateSession,
  type AuthStatus,
  type AuthStore,
  type AuthUser,
  type SessionSnapshot,
} from "./auth-store";
import { type Transient, withBackoff } from "./backoff";
import {
  type BroadcastChannelLike,
  createBrowserLifecycle,
  detectLocks,
  globalTimers,
  type LockManagerLike,
  openBrowserChannel,
  type PageLifecycle,
  type Timers,
} from "./browser-adapters";
import { createDeviceKey, type DeviceKey, type SignedProof } from "./device-key";
import { createDevtools, type DevtoolsHook } from "./devtools";
import { createProactiveRefresh } from "./proactive-refresh";
import { isSameOriginPath } from "./redirect";
import { createRefreshCoordinator, recordProof } from "./refresh-coordinator";
import { createSignOut } from "./sign-out";
import { createTabSync } from "./tab-sync";
import {
  describeError,
  isRefreshable401,
  isTransientStatus,
  readJson,
  readPasswordChangedBody,
  readSessionBody,
} from "./wire";

export interface AuthClientOptions {
  fetch?: typeof fetch;
  /** Defaults to a new store; the browser instance (`getAuthClient`) uses the app-wide `authStore`. */
  store?: AuthStore;
  now?: () => number;
  /** `undefined`: use `navigator.locks` if the browser has it. `null`: in-tab single-flight only. */
  locks?: LockManagerLike | null;
  /** `undefined`: open a `BroadcastChannel` if the browser has one. `null`: no cross-tab messages. */
  channel?: BroadcastChannelLike | null;
  /** `undefined`: `document` + `window` events in a browser. `null`: always visible, never wakes. */
  lifecycle?: PageLifecycle | null;
  navigate?: (url: string) => void;
  /** Path + search of the current page, for `next=`. */
  getCurrentPath?: () => string;
  timers?: Timers;
  /** Where to connect the devtools controls (devtools.ts); none by default. */
  devtools?: DevtoolsHook;
  /** The session key (device-key.ts). `undefined`: WebCrypto + IndexedDB. `null`: no proofs. */
  deviceKey?: DeviceKey | null;
}

export interface Credentials {
  email: string;
  password: string;
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

export interface Registration extends Credentials {
  name?: string;
}

export interface RestoreOptions {
  /**
   * Whether the page was served with the session hint cookie (httpOnly, so only the server can
   * tell; see lib/auth/cookies.ts). `false` skips the refresh call: no cookie, nothing to restore.
   */
  sessionHint?: boolean;
}

export interface AuthClient {
  readonly store: AuthStore;
  apiFetch(path: string, init?: RequestInit): Promise<Response>;
  /** `apiFetch`, then the body parsed with `schema` (204: `undefined`); throws `ApiError`. */
  apiJson<S extends z.ZodType>(path: string, schema: S, init?: RequestInit): Promise<z.output<S>>;
  refresh(): Promise<string | null>;
  /**
   * Page load: one refresh call turns the httpOnly cookie into an access token. Never navigates:
   * a missing or dead cookie leaves the store `signed_out` with its reason, and the page decides
   * (protected pages go to the login page; public ones keep the visitor where they are).
   */
  restoreSession(options?: RestoreOptions): Promise<AuthStatus>;
  login(credentials: Credentials): Promise<AuthUser>;
  register(registration: Registration): Promise<AuthUser>;
  logout(): Promise<void>;
  /**
   * POST /api/auth/password. The server ends every session of the user, this one included, and
   * answers with a new session (body + refresh cookie) that this tab adopts and tells the other
   * tabs about, as a refresh does. Resolves how many other sessions ended; throws `ApiError`
   * (`ERROR_CODE.invalidCurrentPassword`, `.tooManyAttempts`, `.serverBusy`, …) otherwise.
   */
  changePassword(change: PasswordChange): Promise<{ revokedSessions: number }>;
  start(): void;
  stop(): void;
}

/**
 * Builds an auth client around injected browser APIs. Every option is optional; in a browser the
 * defaults are the real APIs, in tests you pass fakes (test/client/fakes.ts).
 *
 * @example
 * const client = createAuthClient({ fetch: fakeFetch, locks: null, channel: null, navigate: vi.fn() });
 * client.start();
 * await client.restoreSession();
 * const response = await client.apiFetch("/api/notes");
 */
export function createAuthClient(options: AuthClientOptions = {}): AuthClient {
  const store = options.store ?? createAuthStore();
  // IMPORTANT: never store `window.fetch` unbound; calling it detached throws "Illegal invocation".
  const fetchFn: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? (() => Date.now());
  const timers = options.timers ?? globalTimers();
  const record = (data: AuthEventData) => recordAuthEvent(store, now(), data);
  const deviceKey =
    options.deviceKey !== undefined ? (options.deviceKey ?? undefined) : createDeviceKey();
  let started = false;

  const proactive = createProactiveRefresh({
    store,
    now,
    timers,
    lifecycle: options.lifecycle !== undefined ? options.lifecycle : createBrowserLifecycle(),
    record,
    refresh: () => void coordinator.refresh("proactive"),
  });
  const signOut = createSignOut({
    store,
    record,
    navigate: options.navigate ?? ((url: string) => window.location.assign(url)),
    getCurrentPath:
      options.getCurrentPath ?? (() => window.location.pathname + window.location.search),
    onEnded: () => proactive.cancel(),
  });
  const tabs = createTabSync({
    channel: options.channel !== undefined ? options.channel : openBrowserChannel(),
    store,
    record,
    signOut,
    onAdopted: () => proactive.schedule(),
  });
  /** A session obtained here (refresh, login, password change): tell the tabs, re-arm the timer. */
  const announce = (session: SessionSnapshot) => {
    tabs.broadcast({ type: "session", session });
    proactive.schedule();
  };
  const coordinator = createRefreshCoordinator({
    store,
    fetch: fetchFn,
    now,
    locks: options.locks !== undefined ? options.locks : detectLocks(),
    timers,
    record,
    signOut,
    deviceKey,
    onRefreshed: announce,
    onRejected(reason) {
      // A missing cookie is not news to other tabs (they share the cookie jar), and a tab that is
      // logging in right now would wrongly take it as "signed out".
      if (reason !== SIGN_OUT_REASON.refreshTokenMissing)
        tabs.broadcast({ type: "signed_out", reason });
    },
  });
  options.devtools?.connect(createDevtools(store, record));

  /**
   * Sends `init` to `path` with `token`: as `Authorization: DPoP` with a proof by the device key
   * naming this request and this token (`ath`) when this browser holds a key, which a bound token
   * (`cnf.jkt`) needs, else as Bearer. The proof is new for every send, retries included.
   */
  async function sendWithToken(
    path: string,
    init: RequestInit,
    token: string | null,
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    let proof: SignedProof | null = null;
    if (token !== null) {
      proof = (await deviceKey?.proof(methodOf(init), path, undefined, token)) ?? null;
      if (proof) {
        headers.set("Authorization", `DPoP ${token}`);
        headers.set(HEADER_NAME.dpop, proof.jwt);
        record({
          type: "request_proof",
          method: methodOf(init),
          path,
          jti: proof.jti,
          key: proof.jkt,
          token: fingerprint(token),
        });
      } else {
        headers.set("Authorization", `Bearer ${token}`);
      }
    }
    const response = await fetchFn(path, { ...init, headers });
    // The server's `Date`, so the next proof's `iat` is by its clock.
    if (proof) await deviceKey?.rememberNonce(response);
    return response;
  }

  async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
    // IMPORTANT: the bearer token must never be sent to another origin.
    if (!isSameOriginPath(path)) {
      throw new TypeError(`apiFetch only calls this origin, got ${JSON.stringify(path)}`);
    }
    await coordinator.settle();
    const sentToken = store.getState().accessToken;
    record({ type: "request", method: init.method ?? "GET", path });
    const response = await sendWithToken(path, init, sentToken);
    if (response.status !== 401) return response;

    const code = await readErrorCode(response);
    record({ type: "unauthorized", path, code });
    // A signed-out tab does not refresh: that is how a failed refresh avoids becoming a loop.
    if (!isRefreshable401(code) || store.getState().status === "signed_out") return response;
    const freshToken = await coordinator.replace(sentToken);
    if (freshToken === null) return response;
    record({ type: "retry", path });
    // IMPORTANT: the retry re-sends `init.body`. A ReadableStream body is consumed by the first
    // send; pass strings, FormData, Blobs or URLSearchParams to apiFetch.
    const retried = await sendWithToken(path, init, freshToken);
    record({ type: "retry_result", path, status: retried.status });
    return retried;
  }

  async function apiJson<S extends z.ZodType>(
    path: string,
    schema: S,
    init?: RequestInit,
  ): Promise<z.output<S>> {
    const response = await apiFetch(path, init);
    if (!response.ok) throw await readApiError(response);
    const body = response.status === 204 ? undefined : await readJson(response);
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw malformedResponse(response);
    return parsed.data;
  }

  function restoreSession(restore: RestoreOptions = {}): Promise<AuthStatus> {
    const { status } = store.getState();
    if (status !== "unknown") return Promise.resolve(status);
    // No session hint cookie: this browser has no refresh cookie either (the server sets and
    // clears both together), so asking would only earn a 401 in the console.
    if (restore.sessionHint === false) {
      signOut.end(SIGN_OUT_REASON.refreshTokenMissing);
      return Promise.resolve("signed_out");
    }
    // Single-flighted: concurrent callers (React strict mode runs effects twice) share one POST.
    // Resolves "unknown" when the server could not be reached.
    return coordinator.refresh("restore").then(() => store.getState().status);
  }

  async function postCredentials(path: string, body: Credentials | Registration) {
    // A new key for every sign-in (device-key.ts); stored only once the server bound the session
    // to it. Without WebCrypto there is none, and the server says so (`dpop_proof_required`).
    const prepared = (await deviceKey?.prepare()) ?? null;
    const proof = prepared && (await deviceKey?.proof("POST", path, prepared));
    if (proof) recordProof(record, path, proof);
    const sentAt = now();
    const response = await fetchFn(path, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        ...(proof && { [HEADER_NAME.dpop]: proof.jwt }),
      },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw await readApiError(response);
    if (prepared) await deviceKey?.adopt(prepared, response);
    const session = readSessionBody(await readJson(response), sentAt);
    if (!session) throw malformedResponse(response);
    startSession(store, session);
    record({ type: "login", email: session.user.email });
    announce(session);
    return session.user;
  }

  async function changePassword(change: PasswordChange): Promise<{ revokedSessions: number }> {
    await coordinator.settle();
    const { epoch } = store.getState();
    const init: RequestInit = {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(change),
    };
    // IMPORTANT: sent while holding the refresh lock. The change revokes the session whose cookie
    // every tab shares; a refresh sent meanwhile with that cookie would meet a revoked session
    // and sign all tabs out. After the answer the cookie already names the new session.
    const send = () =>
      coordinator.withLock(async () => {
        const token = store.getState().accessToken;
        const response = await sendWithToken(API_PATH.password, init, token);
        return { response, sentAt: now(), token };
      });
    let { response, sentAt, token } = await send();
    // Outside the lock: the refresh takes it itself.
    if (response.status === 401 && isRefreshable401(await readErrorCode(response))) {
      if ((await coordinator.replace(token)) !== null) ({ response, sentAt, token } = await send());
    }
    if (!response.ok) throw await readApiError(response);
    const changed = readPasswordChangedBody(await readJson(response), sentAt);
    if (!changed) throw malformedResponse(response);
    if (updateSession(store, changed.session, epoch)) {
      record({
        type: "rotation",
        cause: "password_change",
        token: fingerprint(changed.session.accessToken),
      });
      announce(changed.session);
    }
    return { revokedSessions: changed.revokedSessions };
  }

  async function logout(): Promise<void> {
    record({ type: "logout" });
    // Local first: the epoch bump makes any refresh still on the wire land as "stale".
    signOut.end(SIGN_OUT_REASON.loggedOut);
    // IMPORTANT: until this request reaches the server, the refresh cookie is still valid and a
    // reload would sign the user back in; hence the retries.
    const postLogout = async (): Promise<{ kind: "done" } | Transient> => {
      try {
        // The refresh cookie names the session; the access token is not needed (nor sent: a
        // bound one would need a proof, and the key may be gone by a retry).
        const response = await fetchFn(API_PATH.logout, {
          method: "POST",
          credentials: "same-origin",
        });
        return isTransientStatus(response.status)
          ? { kind: "transient", why: `HTTP ${response.status}` }
          : { kind: "done" };
      } catch (error) {
        return { kind: "transient", why: `network error: ${describeError(error)}` };
      }
    };
    await withBackoff(postLogout, {
      sleep: (ms) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms)),
      shouldGoOn: () => true,
      onRetry: (why, retryInMs) =>
        record({ type: "attempt_failed", operation: "logout", why, retryInMs }),
    });
    // The key goes with the session: the next sign-in makes a new one.
    await deviceKey?.remove();
    // IMPORTANT: the other tabs hear of it only now, once the server has ended the session and
    // its answer has cleared the cookies. Told earlier, a tab left for the login page while the
    // cookies were still there: that page load saw the session hint and sent a refresh, which
    // got a 401 (cookie gone by then) or, had it beaten the logout, a fresh token for the
    // session being ended.
    tabs.broadcast({ type: "signed_out", reason: SIGN_OUT_REASON.loggedOut });
    signOut.leave("logout", SIGN_OUT_REASON.loggedOut);
  }

  return {
    store,
    apiFetch,
    apiJson,
    refresh: () => coordinator.refresh("manual"),
    restoreSession,
    login: (credentials) => postCredentials(API_PATH.login, credentials),
    register: (registration) => postCredentials(API_PATH.register, registration),
    logout,
    changePassword,
    start() {
      if (started) return;
      started = true;
      tabs.start();
      proactive.start();
    },
    stop() {
      started = false;
      tabs.stop();
      proactive.stop();
    },
  };
}

/** The method as fetch sends it: the standard ones upper-cased (Fetch §"normalize a method"). */
function methodOf(init: RequestInit): string {
  const method = init.method ?? "GET";
  const upper = method.toUpperCase();
  return ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"].includes(upper) ? upper : method;
}
