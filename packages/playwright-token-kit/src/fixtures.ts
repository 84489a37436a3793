/**
 * `createKit(adapter)`: the kit's `test` and `expect` for one app. A suite imports them from its
 * own fixtures file instead of from "@playwright/test".
 *
 * Independence is the rule: a test's users, sessions and cookie jars are its own, or its worker's
 * (never shared between workers), so any number of workers and `--repeat-each` runs stay green.
 */
import {
  type APIRequestContext,
  type BrowserContext,
  type Page,
  test as base,
  expect as baseExpect,
} from "@playwright/test";
import type { Credentials, SessionState, TokenKitAdapter } from "./adapter.js";
import { AuthNetwork } from "./auth-network.js";
import { tokenKitMatchers } from "./matchers.js";
import { TimeControl } from "./time-control.js";
import {
  type SavedSession,
  WorkerSessionStore,
  uniqueCredentials,
  workerSessionFile,
} from "./worker-session.js";

export interface KitFixtures {
  /** Unique credentials; nothing is registered. */
  newUser: Credentials;
  /** Unique credentials, registered through the API, with no live session. */
  registeredUser: Credentials;
  /** A fresh API client with its own cookie jar (not the browser's, not `request`'s). */
  api: APIRequestContext;
  /**
   * Records the API traffic of the test's browser context: every tab, every retry. Attaches
   * `auth-requests.json` (tokens decoded, never raw) to the test's report and trace.
   */
  authNetwork: AuthNetwork;
  /** A second browser context: another device, with its own cookie jar. */
  anotherDevice: BrowserContext;
  /** Moves time, or expires the access token for real. Request it before the test opens a page. */
  time: TimeControl;
  /** Option. `true`: the test's context starts signed in as its worker's account. */
  signedIn: boolean;
  /**
   * The test's `page`, signed in as its worker's account, open on the adapter's signed-in page,
   * its session restored and its own data loaded (`signedInPage.ready`). `time` and
   * `authNetwork` are attached to its context.
   */
  signedInPage: Page;
  /** The account of this worker's session. */
  workerUser: Credentials;
  /** This test's check-out of the worker's session: done on first call, at most once a test. */
  sessionCheckOut: () => Promise<SavedSession>;
  /**
   * The checked-out worker session's `SessionState` (what the adapter's API sign-in returned),
   * already planted in the test's browser; `undefined` for an app without one.
   */
  sessionState: SessionState | undefined;
}

export interface KitWorkerFixtures {
  /** Option: where the per-worker session files live. One directory per run. */
  workerSessionDir: string;
  /** This worker's session: checked out before a signed-in test, checked back in after it. */
  workerSession: WorkerSessionStore;
  /** Calls the adapter's `wake` before the worker's first test (automatic). */
  warmServer: void;
}

/** The kit's `expect`: Playwright's, plus `toHaveRefreshedOnce` and `toHaveNoAuthErrors`. */
export const expect = baseExpect.extend(tokenKitMatchers);

/**
 * The fixtures for the app `adapter` describes.
 *
 * @example
 * // tests/fixtures.ts
 * import { createKit } from "playwright-token-kit";
 * import { adapter } from "./adapter";
 * export const { test, expect } = createKit(adapter);
 */
export function createKit(adapter: TokenKitAdapter) {
  const test = base.extend<KitFixtures, KitWorkerFixtures>({
    workerSessionDir: ["playwright/.auth", { scope: "worker", option: true }],

    workerSession: [
      async ({ playwright, browser, workerSessionDir }, use, workerInfo) => {
        const baseURL = requireBaseURL(workerInfo.project.use.baseURL);
        const file = workerSessionFile(workerSessionDir, workerInfo.parallelIndex);
        const env = { playwright, browser, baseURL };
        await use(new WorkerSessionStore(adapter, env, file, workerInfo.parallelIndex));
      },
      { scope: "worker" },
    ],

    warmServer: [
      async ({ playwright }, use, workerInfo) => {
        // An app whose database opens on first use would otherwise spend the first test's
        // timeout on that one-time start.
        if (adapter.wake) {
          const baseURL = requireBaseURL(workerInfo.project.use.baseURL);
          const api = await playwright.request.newContext({ baseURL });
          await adapter.wake(api);
          await api.dispose();
        }
        await use();
      },
      { scope: "worker", auto: true, timeout: 60_000 },
    ],

    newUser: async ({}, use) => {
      await use(uniqueCredentials(adapter, "user"));
    },

    registeredUser: async ({ newUser, playwright, baseURL }, use) => {
      const api = await playwright.request.newContext({ baseURL });
      await adapter.accounts.create(api, newUser);
      // A sign-up that starts a session: end it, so the account's sessions are the test's own.
      if (adapter.signOut && (await api.storageState()).cookies.length > 0) {
        await adapter.signOut(api);
      }
      await api.dispose();
      await use(newUser);
    },

    api: async ({ playwright, baseURL }, use) => {
      const api = await playwright.request.newContext({ baseURL });
      await use(api);
      await api.dispose();
    },

    authNetwork: async ({ context }, use, testInfo) => {
      const network = new AuthNetwork(context, adapter);
      await use(network);
      const trace = await network.trace();
      if (trace.length > 0) {
        await testInfo.attach("auth-requests.json", {
          body: JSON.stringify(trace, null, 2),
          contentType: "application/json",
        });
      }
    },

    anotherDevice: async ({ browser, baseURL }, use) => {
      // `browser.newContext()` does not inherit the config's `use` options; pass what we need.
      const context = await browser.newContext({ baseURL });
      await use(context);
      await context.close();
    },

    time: async ({ context, extraHTTPHeaders, authNetwork }, use) => {
      const currentAccessToken = async () => {
        const page = context.pages().at(-1);
        if (adapter.accessToken.page && page) return adapter.accessToken.page(page);
        return authNetwork.newestAccessToken();
      };
      await use(
        await TimeControl.install(context, adapter, {
          baseHeaders: extraHTTPHeaders,
          currentAccessToken,
        }),
      );
    },

    signedIn: [false, { option: true }],

    sessionCheckOut: async ({ workerSession }, use) => {
      let checkedOut: Promise<SavedSession> | null = null;
      await use(() => (checkedOut ??= workerSession.checkOut()));
    },

    storageState: async ({ storageState, signedIn, sessionCheckOut }, use) => {
      await use(signedIn ? (await sessionCheckOut()).storageState : storageState);
    },

    context: async ({ context, signedIn, workerSession, sessionCheckOut, baseURL }, use) => {
      // The session's browser-held state goes with its cookies (adapter `sessionState`).
      if (signedIn) await plantState(context, (await sessionCheckOut()).state, baseURL);
      await use(context);
      if (signedIn) await workerSession.checkIn(context);
    },

    // Depends on `time` and `authNetwork` so that the clock is installed and the recorder listens
    // before the page loads, whichever fixture the test names first.
    signedInPage: async (
      { page, context, signedIn, workerSession, sessionCheckOut, time, authNetwork, baseURL },
      use,
    ) => {
      void time;
      // Cookies (and the adapter's `sessionState`) only: an app that also keeps session state in
      // localStorage should use `signedIn`, which restores the whole storageState (origins too).
      if (!signedIn) {
        const saved = await sessionCheckOut();
        await context.addCookies(saved.storageState.cookies);
        await plantState(context, saved.state, baseURL);
      }
      await page.goto(adapter.signedInPage.path);
      await adapter.signedInPage.ready(page);
      // Every request the page load sent has its answer. The log then starts empty: what a test
      // asserts is what it did, not the page's own loading (issue 27: a log cleared before the
      // page's first data request held that request's 401 and retry).
      await authNetwork.everything();
      authNetwork.clear();
      await use(page);
      if (!signedIn) await workerSession.checkIn(context);
    },

    sessionState: async ({ sessionCheckOut }, use) => {
      await use((await sessionCheckOut()).state);
    },

    workerUser: async ({ sessionCheckOut }, use) => {
      await use((await sessionCheckOut()).user);
    },
  });
  /** Gives `context` the session's browser-held state, when the adapter keeps one. */
  async function plantState(
    context: BrowserContext,
    state: SessionState | undefined,
    baseURL: string | undefined,
  ): Promise<void> {
    if (adapter.sessionState && state !== undefined) {
      await adapter.sessionState.plant(context, state, requireBaseURL(baseURL));
    }
  }
  return { test, expect, adapter };
}

function requireBaseURL(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("The kit needs `use.baseURL` in playwright.config.ts.");
  return baseURL;
}
