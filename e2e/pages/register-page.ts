import type { Locator, Page } from "@playwright/test";

/** /register: the sign-up form. Field errors come from the server's `invalid_request` answer. */
export class RegisterPage {
  readonly name: Locator;
  readonly email: Locator;
  readonly password: Locator;
  readonly submitButton: Locator;

  constructor(readonly page: Page) {
    const form = page.getByRole("form", { name: "Create an account" });
    this.name = form.getByLabel("Name (optional)");
    this.email = form.getByLabel("Email");
    this.password = form.getByLabel("Password");
    this.submitButton = form.getByRole("button", { name: "Create account" });
  }

  async goto(): Promise<void> {
    await this.page.goto("/register");
  }

  /** Fills in and submits the form; does not wait for the outcome. */
  async register(user: { email: string; password: string; name?: string }): Promise<void> {
    if (user.name) await this.name.fill(user.name);
    await this.email.fill(user.email);
    await this.password.fill(user.password);
    await this.submitButton.click();
  }

  /** A message shown as an alert on the page (form-level errors have no field to attach to). */
  alert(text: string): Locator {
    return this.page.getByRole("alert").filter({ hasText: text });
  }
}
