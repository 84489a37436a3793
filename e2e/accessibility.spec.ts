/**
 * Accessibility, checked by axe-core in real Chromium on every page a user meets, and the two
 * keyboard paths axe cannot judge.
 *
 * Proves that axe finds no serious or critical violation (WCAG 2.1 A and AA rules: contrast,
 * names, roles, list structure, landmarks) on the public pages, the signed-in pages with their
 * data loaded, and the 404 page; that a skip link is the first thing the keyboard reaches and
 * moves focus to the main content; and that after a failed submit focus lands on the first field
 * in error.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { LoginPage } from "./pages/login-page";
import { expect, test } from "./fixtures";

/** Serious and critical violations, one line each: rule, impact, and where. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
    .analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) =>
      v.nodes.map((node) => `${v.id} (${v.impact}): ${node.target.join(" ")} — ${v.help}`),
    );
}

test("public pages: no serious or critical violation", async ({ page }) => {
  for (const [path, ready] of [
    ["/", page.getByRole("link", { name: "Create an account" })],
    ["/login", page.getByRole("form", { name: "Sign in" })],
    ["/register", page.getByRole("form", { name: "Create an account" })],
    ["/no-such-page", page.getByRole("link", { name: "Back to the home page" })],
  ] as const) {
    await page.goto(path);
    await expect(ready).toBeVisible();
    expect(await seriousViolations(page), path).toEqual([]);
  }
});

test("a login page with a sign-out reason and a form error: no serious or critical violation", async ({
  page,
}) => {
  const login = new LoginPage(page);
  await page.goto("/login?reason=refresh_token_reused");
  await login.login({ email: "nobody@example.test", password: "not the password" });
  await expect(login.alert("The email or password is incorrect.")).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});

test("signed-in pages, with their data: no serious or critical violation", async ({
  signedInPage: page,
}) => {
  // Four pages, each scanned by axe: more than the default budget on a loaded 2-core machine.
  test.slow();
  await expect(page.getByTestId("notes").getByRole("listitem").first()).toBeVisible();
  expect(await seriousViolations(page), "/dashboard").toEqual([]);

  await page.goto("/sessions");
  await expect(page.getByTestId("session-row").first()).toBeVisible();
  await page.getByRole("button", { name: "Log out everywhere" }).click();
  await expect(page.getByTestId("logout-everywhere-confirm")).toBeVisible();
  expect(await seriousViolations(page), "/sessions").toEqual([]);

  await page.goto("/inspector");
  await expect(page.getByTestId("family-node").first()).toBeVisible();
  await expect(page.getByTestId("timeline-entry").first()).toBeVisible();
  expect(await seriousViolations(page), "/inspector").toEqual([]);

  await page.goto("/account/password");
  await expect(page.getByRole("form", { name: "Change password" })).toBeVisible();
  await page.getByTestId("user-menu-button").click();
  await expect(page.getByTestId("user-menu")).toBeVisible();
  expect(await seriousViolations(page), "/account/password").toEqual([]);
});

test("the skip link is the first stop of the keyboard and moves focus to the main content", async ({
  page,
}) => {
  await page.goto("/login");
  await expect(page.getByRole("form", { name: "Sign in" })).toBeVisible();

  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press("Enter");

  await expect(page.locator("main")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(new LoginPage(page).email).toBeFocused();
});

test("after a failed sign-in, focus moves to the message; after field errors, to the first field", async ({
  page,
}) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.login({ email: "nobody@example.test", password: "not the password" });
  await expect(page.getByTestId("form-error")).toBeFocused();

  await login.email.fill("not an email");
  await login.submitButton.click();
  await expect(login.email).toBeFocused();
  await expect(login.email).toHaveAttribute("aria-invalid", "true");
});

// Issue 27: on a 390 px phone the landing page's header put the name and three links on one row,
// each link 20 px tall. WCAG 2.2's 2.5.8 (Target Size, Minimum) asks for 24 × 24 CSS px.
test("on a 390 px phone every link and button in a signed-out page's header is at least 24 × 24 px", async ({
  page,
}) => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [path, ready] of [
    ["/", page.getByRole("link", { name: "Create an account" })],
    ["/login", page.getByRole("form", { name: "Sign in" })],
    ["/register", page.getByRole("form", { name: "Create an account" })],
    ["/no-such-page", page.getByRole("link", { name: "Back to the home page" })],
  ] as const) {
    await page.goto(path);
    await expect(ready).toBeVisible();
    const targets = page.locator("header").locator("a, button").filter({ visible: true });
    expect(await targets.count(), `${path}: targets in the header`).toBeGreaterThan(0);
    for (const target of await targets.all()) {
      const box = await target.boundingBox();
      const name = `${path}: "${(await target.textContent())?.trim()}"`;
      expect(box, name).not.toBeNull();
      expect(box!.width, `${name} width`).toBeGreaterThanOrEqual(24);
      expect(box!.height, `${name} height`).toBeGreaterThanOrEqual(24);
      // Inside the page: nothing pushed off the side of a narrow screen.
      expect(box!.x, `${name} left edge`).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, `${name} right edge`).toBeLessThanOrEqual(390);
    }
  }
});
