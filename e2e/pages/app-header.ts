import type { Locator, Page } from "@playwright/test";

/**
 * The header of every signed-in page: links, the token countdown, and the user menu (who is
 * signed in, Change password, Log out).
 */
export class AppHeader {
  readonly signedInAs: Locator;
  readonly tokenCountdown: Locator;
  readonly userMenuButton: Locator;
  readonly logOutButton: Locator;

  constructor(readonly page: Page) {
    this.signedInAs = page.getByTestId("signed-in-as");
    this.tokenCountdown = page.getByTestId("token-countdown");
    this.userMenuButton = page.getByTestId("user-menu-button");
    this.logOutButton = page.getByRole("button", { name: "Log out", exact: true });
  }

  /** Opens the user menu (Change password, Log out; the page links too on a phone). */
  async openMenu(): Promise<void> {
    if ((await this.userMenuButton.getAttribute("aria-expanded")) !== "true") {
      await this.userMenuButton.click();
    }
  }

  /** Client-side navigation through the header, as a user would (no page load, no restore). */
  async open(link: "Home" | "Dashboard" | "Sessions"): Promise<void> {
    await this.page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: link })
      .click();
  }

  async logOut(): Promise<void> {
    await this.openMenu();
    await this.logOutButton.click();
  }
}
