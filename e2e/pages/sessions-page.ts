import type { Locator, Page } from "@playwright/test";
import { AppHeader } from "./app-header";

/** /sessions: the user's live sessions (one per login per device), and how to end them. */
export class SessionsPage {
  readonly header: AppHeader;
  readonly rows: Locator;
  /** The session of this browser. */
  readonly currentRow: Locator;
  /** Sessions of other devices (or other logins on this one). */
  readonly otherRows: Locator;
  readonly logOutEverywhereButton: Locator;

  constructor(readonly page: Page) {
    this.header = new AppHeader(page);
    this.rows = page.getByTestId("session-row");
    this.currentRow = this.rows.and(page.locator("[data-current]"));
    this.otherRows = this.rows.and(page.locator(":not([data-current])"));
    this.logOutEverywhereButton = page.getByRole("button", { name: "Log out everywhere" });
  }

  /** "Log out everywhere", then "Yes, log out everywhere" in the confirmation it asks for. */
  async logOutEverywhere(): Promise<void> {
    await this.logOutEverywhereButton.click();
    await this.page.getByRole("button", { name: "Yes, log out everywhere" }).click();
  }

  async goto(): Promise<void> {
    await this.page.goto("/sessions");
  }

  /** Clicks "Revoke" on a session that is not this browser's. */
  async revoke(row: Locator): Promise<void> {
    await row.getByRole("button", { name: /^Revoke session/ }).click();
  }
}
