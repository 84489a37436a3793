/**
 * The devtools extension point: what the inspector (and the dashboard's "Expire my access token
 * now") may do to the wrapper that no page may, kept off the wrapper's public interface.
 *
 * A client created with a `devtools` hook connects its controls to it; the browser instance
 * connects to `authDevtools` (auth-client.ts `getAuthDevtools`). Neither control sends a request
 * or tells other tabs.
 *
 * - `replaceAccessToken` holds another token of the same session instead of the current one,
 *   keeping the local expiry estimate, epoch and timers. The next request therefore sends it as
 *   if it were fresh, and whatever the server answers (a 401 for an expired token) goes
 *   through the ordinary path. Tokens are opaque to this client: the server judges.
 * - `annotate` writes a scenario marker into the event log.
 */
import { type AuthEventData, fingerprint, type ScenarioMarkerEvent } from "./auth-events";
import type { AuthStore } from "./auth-store";

export type ScenarioMarker = Omit<ScenarioMarkerEvent, "type">;

export interface AuthDevtools {
  /** Throws unless signed in, and for an empty token. */
  replaceAccessToken(accessToken: string): void;
  annotate(marker: ScenarioMarker): void;
}

/** Where a client hands its devtools controls. */
export interface DevtoolsHook {
  connect(devtools: AuthDevtools): void;
}

/**
 * A hook that keeps the controls of the client that connected last.
 *
 * @example
 * const hook = createDevtoolsHook();
 * const client = createAuthClient({ devtools: hook });
 * hook.current()?.annotate({ marker: "note", scenario: null, text: "hello" });
 */
export function createDevtoolsHook(): DevtoolsHook & { current(): AuthDevtools | null } {
  let connected: AuthDevtools | null = null;
  return {
    connect(devtools) {
      connected = devtools;
    },
    current: () => connected,
  };
}

/** The controls over one client's store; auth-client.ts connects them to its hook. */
export function createDevtools(
  store: AuthStore,
  record: (data: AuthEventData) => void,
): AuthDevtools {
  return {
    replaceAccessToken(accessToken) {
      const state = store.getState();
      if (state.status !== "authenticated" || !state.user || state.accessTokenExpiresAt === null) {
        throw new Error("replaceAccessToken needs a signed-in session.");
      }
      if (accessToken === "") throw new TypeError("replaceAccessToken needs a token.");
      // Same identity, so the epoch stays: a refresh already on the wire still applies, and its
      // fresh token then simply replaces this one.
      store.setState({ accessToken });
      record({ type: "token_replaced", token: fingerprint(accessToken) });
    },
    annotate(marker) {
      record({ type: "scenario", ...marker });
    },
  };
}
