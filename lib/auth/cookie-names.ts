/**
 * Cookie names, in a module with no imports so that proxy.ts can share them
 * without pulling server code into the proxy bundle.
 */
export const SECURE_REFRESH_COOKIE_NAME = "__Secure-refresh_token";
export const PLAIN_REFRESH_COOKIE_NAME = "refresh_token";
export const SESSION_HINT_COOKIE_NAME = "session_hint";
