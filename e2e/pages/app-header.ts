import type { Locator, Page } from "@playwright/test";

/** The header of every signed-in page: who is signed in, the token countdown, links, Log out. */
export class AppHeader {
  readonly signedInAs: Locator;
  readonly tokenCountdown: Locator;
  readonly logOutButton: Locator;

  constructor(readonly page: Page) {
    this.signedInAs = page.getByTestId("signed-in-as");
    this.tokenCountdown = page.getByTestId("token-countdown");
    this.logOutButton = page.getByRole("button", { name: "Log out", exact: true });
  }

  /** Client-side navigation through the header, as a user would (no page load, no restore). */
  async open(link: "Home" | "Dashboard" | "Sessions"): Promise<void> {
    await this.page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: link })
      .click();
  }

  async logOut(): Promise<void> {
    await this.logOutButton.click();
  }
}
