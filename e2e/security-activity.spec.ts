/**
 * The user's own security activity, on the sessions page (GET /api/auth/events, the
 * `auth_events` table).
 *
 * Proves, in a real browser against `next start`, that a second sign-in on another device shows
 * up as a new sign-in with that device's label, that a password change shows up (marked as this
 * device) and that the list is newest first with relative times. Uses an account of its own
 * (`registeredUser`), since it counts the account's events.
 */
import type { Page } from "@playwright/test";
import { DashboardPage } from "./pages/dashboard-page";
import { LoginPage } from "./pages/login-page";
import { SessionsPage } from "./pages/sessions-page";
import { type Credentials, expect, test } from "./fixtures";

async function signIn(page: Page, user: Credentials): Promise<void> {
  const login = new LoginPage(page);
  await login.goto();
  await login.login(user);
  await expect(new DashboardPage(page).notes).toHaveCount(3);
}

test("a second sign-in and a password change appear in the account's security activity", async ({
  page,
  registeredUser,
  anotherDevice,
}) => {
  test.slow();
  await signIn(page, registeredUser);
  const sessions = new SessionsPage(page);
  await sessions.goto();
  const events = page.getByTestId("security-event");
  // The fixture's registration and sign-out, and this sign-in.
  await expect(events).toHaveCount(3);
  await expect(events.nth(1)).toHaveAttribute("data-kind", "session_revoked");
  await expect(events.nth(2)).toHaveAttribute("data-kind", "signed_in");
  await expect(events.first()).toContainText("New sign-in");
  await expect(events.first()).toContainText("This device");
  await expect(events.first().locator("time")).toHaveText(/just now|seconds? ago|minutes? ago/);

  const laptop = await anotherDevice.newPage();
  await signIn(laptop, registeredUser);
  await page.getByRole("button", { name: "Refresh" }).click();
  await expect(events).toHaveCount(4);
  await expect(events.first()).toHaveAttribute("data-kind", "signed_in");
  await expect(events.first()).toContainText("New sign-in on");
  await expect(events.first()).not.toContainText("This device");

  await page.goto("/account/password");
  const form = page.getByRole("form", { name: "Change password" });
  const newPassword = `${registeredUser.password} renewed`;
  await form.getByLabel("Current password").fill(registeredUser.password);
  await form.getByLabel("New password", { exact: true }).fill(newPassword);
  await form.getByLabel("New password, again").fill(newPassword);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-result")).toContainText("Password changed.");

  await sessions.goto();
  await expect(events).toHaveCount(5);
  await expect(events.first()).toHaveAttribute("data-kind", "password_changed");
  await expect(events.first()).toContainText("Password changed on");
  await expect(events.first()).toContainText("This device");
  await expect(events.first()).toContainText("Every other session was signed out.");
});
