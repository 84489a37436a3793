/**
 * Cookie names under the names the server code uses. They are spelled in the wire contract
 * (lib/contract/http.ts, which imports nothing), so proxy.ts can share them without pulling
 * server code, or zod, into the proxy bundle.
 */
import { COOKIE_NAME } from "@/lib/contract/http";

export const SECURE_REFRESH_COOKIE_NAME = COOKIE_NAME.secureRefresh;
export const PLAIN_REFRESH_COOKIE_NAME = COOKIE_NAME.plainRefresh;
export const SESSION_HINT_COOKIE_NAME = COOKIE_NAME.sessionHint;
