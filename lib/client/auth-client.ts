/**
 * The fetch wrapper, as pages use it: `apiFetch` attaches the in-memory access token to calls of
 * this origin and silently refreshes it with the httpOnly refresh cookie; `apiJson` also parses
 * the answer with a contract schema (lib/contract); `getAuthClient()` is the app's one client
 * (login, logout, restore, password change). How it works is in create-auth-client.ts and the
 * parts it lists.
 */
import type { z } from "zod";
import { authStore } from "./auth-store";
import { type AuthClient, createAuthClient } from "./create-auth-client";
import { type AuthDevtools, createDevtoolsHook } from "./devtools";

export {
  type AuthClient,
  type AuthClientOptions,
  createAuthClient,
  type Credentials,
  type PasswordChange,
  type Registration,
  type RestoreOptions,
} from "./create-auth-client";
export type { BroadcastChannelLike, LockManagerLike, PageLifecycle } from "./browser-adapters";
export { LOCK_ACQUIRE_TIMEOUT_MS } from "./refresh-coordinator";
export { computeProactiveRefreshAt } from "./proactive-refresh";

let browserClient: AuthClient | null = null;

/** The browser instance's devtools controls connect here (devtools.ts). */
const authDevtools = createDevtoolsHook();

/**
 * The app's one client, created (and started) on first use. Module load touches no browser API,
 * so "use client" components may import this freely; call it from effects and event handlers.
 *
 * @example
 * useEffect(() => {
 *   void getAuthClient().restoreSession();
 * }, []);
 */
export function getAuthClient(): AuthClient {
  if (typeof window === "undefined") {
    throw new Error(
      "getAuthClient() is browser-only: call it from an effect or event handler, not while rendering on the server.",
    );
  }
  if (!browserClient) {
    browserClient = createAuthClient({ store: authStore, devtools: authDevtools });
    browserClient.start();
  }
  return browserClient;
}

/**
 * The browser instance's devtools controls (replace the token, annotate the log), for the
 * inspector and the dashboard's expire card only.
 *
 * @example
 * getAuthDevtools().annotate({ marker: "note", scenario: null, text: "clock skewed" });
 */
export function getAuthDevtools(): AuthDevtools {
  getAuthClient();
  const devtools = authDevtools.current();
  if (!devtools) throw new Error("The auth client has no devtools connected.");
  return devtools;
}

/**
 * `fetch` for protected routes of this origin, through the app's client (see `createAuthClient`).
 *
 * @example
 * const response = await apiFetch("/api/notes", { method: "POST", body: JSON.stringify(note) });
 */
export function apiFetch(path: string, init?: RequestInit): Promise<Response> {
  return getAuthClient().apiFetch(path, init);
}

/**
 * `apiFetch` + the body parsed with a contract schema: resolves the parsed body (`undefined` for
 * 204), throws `ApiError` on non-2xx or on a body of another shape (`malformed_response`).
 *
 * @example
 * const { notes } = await apiJson(API_PATH.notes, notesBodySchema);
 */
export function apiJson<S extends z.ZodType>(
  path: string,
  schema: S,
  init?: RequestInit,
): Promise<z.output<S>> {
  return getAuthClient().apiJson(path, schema, init);
}
