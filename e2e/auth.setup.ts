/**
 * The setup project: one account per worker, signed in through the real login page, its session
 * saved for the tests that only need to be signed in (`signedIn`, `signedInPage`).
 *
 * Why one per worker, and why the tests check the session out and back in instead of loading
 * this file as it is: refresh tokens rotate (packages/playwright-token-kit/src/worker-session.ts
 * explains).
 *
 * When copying the kit: rewrite the sign-in steps (here: this app's login page object).
 */
import { workerCredentials, workerSessionFile, writeSavedSession } from "playwright-token-kit";
import { appAdapter, registerAccount } from "./adapter";
import { expect, test as setup } from "./fixtures";
import { AppHeader } from "./pages/app-header";
import { LoginPage } from "./pages/login-page";

setup(
  "sign in one account per worker and save its session",
  async ({ browser, baseURL, api, workerSessionDir }, testInfo) => {
    const slots = Array.from({ length: testInfo.config.workers }, (_, slot) => slot);
    // The slots sign in side by side; a few seconds each on a loaded machine, whatever their number.
    setup.setTimeout(60_000 + 2_000 * slots.length);

    await Promise.all(
      slots.map(async (slot) => {
        const user = workerCredentials(appAdapter, slot);
        await registerAccount(api, user);
        const context = await browser.newContext({ baseURL });
        const page = await context.newPage();
        const login = new LoginPage(page);
        await login.goto();
        await login.login(user);
        await expect(new AppHeader(page).signedInAs).toContainText(user.email);
        const file = workerSessionFile(workerSessionDir, slot);
        await writeSavedSession(file, { user, storageState: await context.storageState() });
        await context.close();
      }),
    );
  },
);
