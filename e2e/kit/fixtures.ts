/**
 * The kit's fixtures. A suite imports `test` and `expect` from here (or from a file that extends
 * this `test`, as e2e/fixtures.ts does) instead of from "@playwright/test".
 *
 * Independence is the rule: a test's users, sessions and cookie jars are its own, or its worker's
 * (never shared between workers), so any number of workers and `--repeat-each` runs stay green.
 * The complete list, with examples, is in e2e/README.md.
 */
import {
  type APIRequestContext,
  type BrowserContext,
  type Page,
  test as base,
  expect,
} from "@playwright/test";
import {
  type Credentials,
  openSignedInPage,
  type DeviceKey,
  plantDeviceKey,
  registerAccount,
  signOutAccount,
  uniqueCredentials,
  wakeServer,
} from "./app";
import { AuthNetwork } from "./auth-network";
import { TimeControl } from "./time-control";
import { type SavedSession, WorkerSessionStore, workerSessionFile } from "./worker-session";

export { expect };

export interface KitFixtures {
  /** Unique credentials; nothing is registered. */
  newUser: Credentials;
  /**
   * Unique credentials, registered through the API, with no live session: the session that
   * registration starts is ended at once, so the account's sessions are the test's own.
   */
  registeredUser: Credentials;
  /** A fresh API client with its own cookie jar (not the browser's, not `request`'s). */
  api: APIRequestContext;
  /** Records the `/api/*` traffic of the test's browser context: every tab, every retry. */
  authNetwork: AuthNetwork;
  /** A second browser context: another device, with its own cookie jar. */
  anotherDevice: BrowserContext;
  /**
   * Moves the browser's clock and the server's together (`advance`), or the server's alone
   * (`advanceServer`, `expireAccessToken`). Request it before the test opens a page.
   */
  time: TimeControl;
  /**
   * Option. `true`: the test's context starts signed in as its worker's account (`workerUser`),
   * from the session the setup project saved, renewed for this test. Set it per project
   * (`use: { signedIn: true }`) or per file (`test.use({ signedIn: true })`).
   */
  signedIn: boolean;
  /**
   * The test's `page`, signed in as its worker's account and open on the app's signed-in page
   * (app.ts `SIGNED_IN_PATH`), its session restored. Works with or without `signedIn`. Its
   * context's clock is installed and `authNetwork` has recorded its loading, so `time` and
   * `authNetwork` work with it.
   */
  signedInPage: Page;
  /** The account of this worker's session (for `signedIn` and `signedInPage`). */
  workerUser: Credentials;
  /** This test's check-out of the worker's session: done on first call, at most once a test. */
  sessionCheckOut: () => Promise<SavedSession>;
  /**
   * The session key of the checked-out worker session (app.ts `DeviceKey`), planted in the
   * test's browser: what a refresh from outside needs to pass as that browser.
   */
  sessionDevice: DeviceKey;
}

export interface KitWorkerFixtures {
  /** Option: where the per-worker session files live (the setup project writes them). */
  workerSessionDir: string;
  /** This worker's session: checked out before a signed-in test, checked back in after it. */
  workerSession: WorkerSessionStore;
  /** Wakes the server's database before the worker's first test (automatic). */
  warmServer: void;
}

export const test = base.extend<KitFixtures, KitWorkerFixtures>({
  workerSessionDir: ["playwright/.auth", { scope: "worker", option: true }],

  workerSession: [
    async ({ playwright, workerSessionDir }, use, workerInfo) => {
      const baseURL = requireBaseURL(workerInfo.project.use.baseURL);
      const file = workerSessionFile(workerSessionDir, workerInfo.parallelIndex);
      await use(new WorkerSessionStore(playwright, baseURL, file, workerInfo.parallelIndex));
    },
    { scope: "worker" },
  ],

  warmServer: [
    async ({ playwright }, use, workerInfo) => {
      // An app whose database opens on first use (this one's embedded PGlite takes seconds) would
      // otherwise spend the first test's timeout on that one-time start.
      const baseURL = requireBaseURL(workerInfo.project.use.baseURL);
      const api = await playwright.request.newContext({ baseURL });
      await wakeServer(api);
      await api.dispose();
      await use();
    },
    { scope: "worker", auto: true, timeout: 60_000 },
  ],

  newUser: async ({}, use) => {
    await use(uniqueCredentials("user"));
  },

  registeredUser: async ({ newUser, playwright, baseURL }, use) => {
    const api = await playwright.request.newContext({ baseURL });
    await registerAccount(api, newUser);
    await signOutAccount(api);
    await api.dispose();
    await use(newUser);
  },

  api: async ({ playwright, baseURL }, use) => {
    const api = await playwright.request.newContext({ baseURL });
    await use(api);
    await api.dispose();
  },

  authNetwork: async ({ context }, use) => {
    await use(new AuthNetwork(context));
  },

  anotherDevice: async ({ browser, baseURL }, use) => {
    // `browser.newContext()` does not inherit the config's `use` options; pass what we need.
    const context = await browser.newContext({ baseURL });
    await use(context);
    await context.close();
  },

  time: async ({ context, extraHTTPHeaders }, use) => {
    await use(await TimeControl.install(context, extraHTTPHeaders));
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
    // The session's key goes with its cookie (worker-session.ts `device`).
    const device = signedIn ? (await sessionCheckOut()).device : undefined;
    if (device) await plantDeviceKey(context, requireBaseURL(baseURL), device);
    await use(context);
    if (signedIn) await workerSession.checkIn(context);
  },

  // Depends on `time` and `authNetwork` so that the clock is installed and the recorder listens
  // before the page loads, whichever fixture the test names first.
  signedInPage: async (
    { page, context, signedIn, workerSession, sessionCheckOut, time, authNetwork, baseURL },
    use,
  ) => {
    void [time, authNetwork];
    // Cookies only: an app that also keeps session state in localStorage should use `signedIn`,
    // which restores the whole storageState (origins included).
    if (!signedIn) {
      const saved = await sessionCheckOut();
      await context.addCookies(saved.storageState.cookies);
      if (saved.device) await plantDeviceKey(context, requireBaseURL(baseURL), saved.device);
    }
    await openSignedInPage(page);
    await use(page);
    if (!signedIn) await workerSession.checkIn(context);
  },

  sessionDevice: async ({ sessionCheckOut }, use) => {
    const { device } = await sessionCheckOut();
    if (!device)
      throw new Error("The worker's session has no device key: check-out signs in again.");
    await use(device);
  },

  workerUser: async ({ sessionCheckOut }, use) => {
    await use((await sessionCheckOut()).user);
  },
});

function requireBaseURL(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("The kit needs `use.baseURL` in playwright.config.ts.");
  return baseURL;
}
