/**
 * The account pages and the frame around every page.
 *
 * Proves that the change-password page is reachable from the signed-in header and from the
 * sessions page, refuses a common password before sending it, says which field is wrong, and on
 * success signs out the user's other devices while this browser stays signed in; that the reuse
 * sign-out message leads to it; that "Log out everywhere" asks first; that the throttle message
 * says when to try again (from Retry-After); that unknown pages get the app's 404 with a way home;
 * and that the signed-in header is one row at 1280 px and a compact menu at 390 px, and the
 * landing page's diagram reads on a phone.
 *
 * Screenshots of the layouts are attached to the test results (`testInfo.outputPath`).
 */
import type { Page, TestInfo } from "@playwright/test";
import { AppHeader } from "./pages/app-header";
import { DashboardPage } from "./pages/dashboard-page";
import { LoginPage } from "./pages/login-page";
import { SessionsPage } from "./pages/sessions-page";
import { signInAccount } from "./adapter";
import { createDeviceKey, expect, expectSignedOut, proofHeader, test } from "./fixtures";

async function signInThroughTheForm(page: Page, user: { email: string; password: string }) {
  const login = new LoginPage(page);
  await login.goto();
  await login.login(user);
  await expect(page).toHaveURL("/dashboard");
}

async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

test("change password: from the header menu, common and wrong passwords refused, other devices signed out", async ({
  page,
  registeredUser,
  anotherDevice,
  api,
  authNetwork,
}) => {
  test.slow(); // several sign-ins (argon2) on a loaded machine
  const laptop = await anotherDevice.newPage();
  await signInThroughTheForm(laptop, registeredUser);
  await signInThroughTheForm(page, registeredUser);

  const header = new AppHeader(page);
  await header.openMenu();
  await page.getByRole("link", { name: "Change password" }).click();
  await expect(page).toHaveURL("/account/password");
  const form = page.getByRole("form", { name: "Change password" });
  const current = form.getByLabel("Current password");
  const fresh = form.getByLabel("New password", { exact: true });
  const again = form.getByLabel("New password, again");
  const submit = form.getByRole("button", { name: "Change password" });

  authNetwork.clear();
  await current.fill(registeredUser.password);
  await fresh.fill("password123");
  await again.fill("password123");
  await submit.click();
  await expect(fresh).toHaveAccessibleDescription(/one of the first that attackers try/);
  await expect(fresh).toBeFocused();
  expect(await authNetwork.log(), "refused before sending").toEqual([]);

  const newPassword = `${registeredUser.password} renewed`;
  await current.fill("not my password at all");
  await fresh.fill(newPassword);
  await again.fill(newPassword);
  await submit.click();
  await expect(current).toHaveAccessibleDescription("The current password is incorrect.");
  await expect(current).toBeFocused();

  await current.fill(registeredUser.password);
  await fresh.fill(newPassword);
  await again.fill(newPassword);
  await submit.click();
  await expect(page.getByTestId("password-result")).toContainText("Password changed.");

  // This browser is still signed in, after a reload too; the laptop is not.
  const dashboard = new DashboardPage(page);
  await dashboard.goto();
  await dashboard.expectLoaded();
  await laptop.reload();
  await expectSignedOut(laptop, "session_revoked");
  // The new password works and the old one does not.
  await signInAccount(api, { email: registeredUser.email, password: newPassword });
  const old = await api.post("/api/auth/login", {
    data: registeredUser,
    headers: await proofHeader(api, createDeviceKey(), "/api/auth/login"),
  });
  expect(old.status()).toBe(401);
  expect(((await old.json()) as { error: { code: string } }).error.code).toBe(
    "invalid_credentials",
  );
});

test("the sessions page links to the change-password page", async ({ signedInPage: page }) => {
  const sessions = new SessionsPage(page);
  await sessions.goto();
  await page.getByRole("link", { name: "change your password" }).click();
  await expect(page).toHaveURL("/account/password");
  await expect(page.getByRole("heading", { name: "Change password" })).toBeVisible();
});

test("the reuse sign-out message leads to the change-password page", async ({
  page,
  registeredUser,
}) => {
  await page.goto("/login?reason=refresh_token_reused");
  await page.getByRole("link", { name: "Sign in and change your password" }).click();
  await expect(page).toHaveURL("/login?next=%2Faccount%2Fpassword");
  await new LoginPage(page).login(registeredUser);
  await expect(page).toHaveURL("/account/password");
});

test("Log out everywhere asks first; Cancel keeps every session", async ({
  signedInPage: page,
  authNetwork,
}) => {
  const sessions = new SessionsPage(page);
  await sessions.goto();
  await expect(sessions.currentRow).toBeVisible();
  authNetwork.clear();

  await sessions.logOutEverywhereButton.click();
  const confirm = page.getByTestId("logout-everywhere-confirm");
  await expect(confirm).toContainText("including this one");
  await confirm.getByRole("button", { name: "Cancel" }).click();

  await expect(confirm).toBeHidden();
  expect(await authNetwork.log()).toEqual([]);
  await page.reload();
  await expect(sessions.currentRow).toBeVisible();
});

test("the throttle message says when to try again", async ({ page, registeredUser, api }) => {
  test.slow(); // several sign-ins (argon2) on a loaded machine
  // Fail from outside the browser until the server throttles this account (its real limiter).
  const wrong = { email: registeredUser.email, password: "not the password" };
  let status = 0;
  for (let attempt = 0; attempt < 100 && status !== 429; attempt++) {
    const headers = await proofHeader(api, createDeviceKey(), "/api/auth/login");
    status = (await api.post("/api/auth/login", { data: wrong, headers })).status();
  }
  expect(status).toBe(429);

  const login = new LoginPage(page);
  await login.goto();
  const refused = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/auth/login");
  await login.login(registeredUser);
  const retryAfter = Number((await refused).headers()["retry-after"]);
  expect(retryAfter).toBeGreaterThan(0);

  // The wait the server named, in minutes, and the clock time it ends.
  const minutes = Math.ceil(retryAfter / 60);
  await expect(page.getByTestId("form-error")).toHaveText(
    new RegExp(
      `^Too many attempts\\. Try again in (${minutes}|${minutes - 1}) minutes? \\(at [^)]+\\)\\.$`,
    ),
  );
  await expect(page.getByTestId("form-error")).toBeFocused();
  await expect(page).toHaveURL("/login");
});

test("an unknown page gets the app's 404, with a link home", async ({ page }) => {
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "This page does not exist" })).toBeVisible();
  await page.getByRole("link", { name: "Back to the home page" }).click();
  await expect(page).toHaveURL("/");
});

test("the signed-in header: one row at 1280 px, a compact menu at 390 px", async ({
  signedInPage: page,
  workerUser,
}, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const header = new AppHeader(page);
  await expect(header.signedInAs).toBeVisible();
  await expect(header.signedInAs).toContainText(workerUser.email);
  const nav = page.getByRole("navigation", { name: "Main" });
  const rows = async () => {
    const boxes = await Promise.all(
      [
        page.getByRole("link", { name: "Silent refresh" }).first(),
        nav,
        header.tokenCountdown,
        header.userMenuButton,
      ].map((l) => l.boundingBox()),
    );
    return new Set(boxes.map((b) => Math.round((b!.y + b!.height / 2) / 10)));
  };
  expect((await rows()).size, "everything on one line").toBe(1);
  await header.openMenu();
  await expect(header.logOutButton).toBeVisible();
  await screenshot(page, testInfo, "header-1280");

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(header.userMenuButton).toBeVisible();
  await expect(nav).toBeHidden();
  const box = await page.locator("header").first().boundingBox();
  expect(box!.height, "one compact row").toBeLessThan(70);
  await header.openMenu();
  const pages = page.getByRole("navigation", { name: "Pages" });
  await expect(pages.getByRole("link")).toHaveText(["Home", "Dashboard", "Sessions", "Inspector"]);
  await expect(header.logOutButton).toBeVisible();
  await screenshot(page, testInfo, "header-390-menu");
  await pages.getByRole("link", { name: "Sessions" }).click();
  await expect(page).toHaveURL("/sessions");
  await expect(page.getByTestId("user-menu")).toBeHidden();
  await screenshot(page, testInfo, "sessions-390");
});

test("the landing page's diagram reads on a phone", async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  const steps = page.getByTestId("flow-steps").getByRole("listitem");
  await expect(steps).toHaveCount(12);
  await expect(steps.nth(6)).toContainText("401 token_expired");
  await expect(page.getByRole("img", { name: "Access and refresh token flow" })).toBeHidden();
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, "no sideways scrolling").toBe(0);
  await screenshot(page, testInfo, "landing-390");

  await page.setViewportSize({ width: 1280, height: 900 });
  await expect(page.getByRole("img", { name: "Access and refresh token flow" })).toBeVisible();
  await expect(page.getByTestId("flow-steps")).toBeHidden();
  await screenshot(page, testInfo, "landing-1280");
});
