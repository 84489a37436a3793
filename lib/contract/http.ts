/**
 * Names both sides must agree on: paths of the API, cookies and headers.
 */

/** The routes the browser client calls by name. */
export const API_PATH = {
  register: "/api/auth/register",
  login: "/api/auth/login",
  refresh: "/api/auth/refresh",
  logout: "/api/auth/logout",
  password: "/api/auth/password",
  sessions: "/api/auth/sessions",
  securityEvents: "/api/auth/events",
  currentSession: "/api/auth/sessions/current",
  currentSessionPolicy: "/api/auth/sessions/current/policy",
  expiredAccessToken: "/api/auth/expired-access-token",
  devCaptureRefreshToken: "/api/auth/dev/capture-refresh-token",
  devReplayRefreshToken: "/api/auth/dev/replay-refresh-token",
  devLoseRefreshResponse: "/api/auth/dev/lose-refresh-response",
  notes: "/api/notes",
  me: "/api/me",
  metrics: "/api/metrics",
  jwks: "/.well-known/jwks.json",
} as const;

/** `/api/auth/sessions/{id}`. */
export function sessionPath(id: string): string {
  return `${API_PATH.sessions}/${encodeURIComponent(id)}`;
}

/**
 * The refresh cookie (httpOnly, Path=/api/auth; lib/auth/cookies.ts) under its `__Secure-` name
 * and its plain one, and the session hint that lets proxy.ts redirect signed-out visitors.
 */
export const COOKIE_NAME = {
  secureRefresh: "__Secure-refresh_token",
  plainRefresh: "refresh_token",
  sessionHint: "session_hint",
} as const;

/** Request headers of this app's own. */
export const HEADER_NAME = {
  /** Moves the server's clock for one request; honoured only with AUTH_TEST_CLOCK=1. */
  testClockOffset: "x-test-clock-offset",
  /** RFC 9449: the proof JWT a login, registration and refresh carry (lib/auth/dpop.ts). */
  dpop: "dpop",
  /** RFC 9449: the server's nonce, on every login, registration and refresh answer. */
  dpopNonce: "dpop-nonce",
} as const;

/**
 * Where the browser keeps its session key (lib/client/device-key.ts): one IndexedDB database,
 * one object store, one record. Here because the e2e kit plants a key in the same place.
 */
export const DEVICE_KEY_STORE = {
  database: "jwt-auth-device-key",
  objectStore: "keys",
  record: "session",
} as const;
