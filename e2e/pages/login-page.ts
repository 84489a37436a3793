import type { Locator, Page } from "@playwright/test";

/** /login: the sign-in form, and the reason a session ended (from `?reason=`). */
export class LoginPage {
  readonly email: Locator;
  readonly password: Locator;
  readonly submitButton: Locator;
  /** The sentence for `?reason=`, e.g. "You signed out in another tab." */
  readonly signOutReason: Locator;

  constructor(readonly page: Page) {
    const form = page.getByRole("form", { name: "Sign in" });
    this.email = form.getByLabel("Email");
    this.password = form.getByLabel("Password");
    this.submitButton = form.getByRole("button", { name: "Sign in" });
    this.signOutReason = page.getByTestId("sign-out-reason");
  }

  async goto(): Promise<void> {
    await this.page.goto("/login");
  }

  /** Fills in and submits the form; does not wait for the outcome. */
  async login(user: { email: string; password: string }): Promise<void> {
    await this.email.fill(user.email);
    await this.password.fill(user.password);
    await this.submitButton.click();
  }

  /** A message shown as an alert on the page, e.g. "The email or password is incorrect." */
  alert(text: string): Locator {
    return this.page.getByRole("alert").filter({ hasText: text });
  }
}
