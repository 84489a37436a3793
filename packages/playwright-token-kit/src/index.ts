/**
 * playwright-token-kit: Playwright fixtures and assertions for apps with short-lived access
 * tokens and rotating refresh tokens. README.md is the guide; `createKit` is where to start.
 */
export {
  type AccessTokenSource,
  type ApiSignIn,
  type Credentials,
  type SessionState,
  type ExpiryControl,
  type TokenKitAdapter,
  type UiSignIn,
  defaultErrorCode,
  defineAdapter,
  readCookie,
  readJsonPath,
} from "./adapter.js";
export {
  type ApiExchange,
  AuthNetwork,
  type AuthNetworkSummary,
  type TracedExchange,
  authNetworkOf,
} from "./auth-network.js";
export { type KitFixtures, type KitWorkerFixtures, createKit, expect } from "./fixtures.js";
export { openSecondTab, presentRefreshToken, readRefreshCookie } from "./helpers.js";
export { type DecodedToken, decodeToken, readJwtClaims } from "./jwt.js";
export { type MatcherReport, tokenKitMatchers } from "./matchers.js";
export { type Duration, TimeControl, toMilliseconds } from "./time-control.js";
export {
  type SavedSession,
  type StorageState,
  WorkerSessionStore,
  refreshSession,
  signInStorageState,
  uniqueCredentials,
  workerCredentials,
  workerSessionFile,
  writeSavedSession,
} from "./worker-session.js";
