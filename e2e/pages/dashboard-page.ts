import { type Locator, type Page, expect } from "@playwright/test";
import { AppHeader } from "./app-header";

/** /dashboard: the user's notes, and the "fire 5 parallel requests" demo. */
export class DashboardPage {
  readonly header: AppHeader;
  /** One item per note, newest first. */
  readonly notes: Locator;
  readonly newNote: Locator;
  /** "Statuses: 200, 200, … · 1 refresh · 42 ms" after the parallel demo ran. */
  readonly parallelResult: Locator;
  /** How many refreshes the fetch wrapper started during the parallel demo. */
  readonly parallelRefreshes: Locator;

  constructor(readonly page: Page) {
    this.header = new AppHeader(page);
    this.notes = page.getByTestId("notes").getByRole("listitem");
    this.newNote = page.getByLabel("New note");
    this.parallelResult = page.getByTestId("parallel-result");
    this.parallelRefreshes = page.getByTestId("parallel-refreshes");
  }

  async goto(): Promise<void> {
    await this.page.goto("/dashboard");
  }

  /** Waits until the notes have loaded (with the access token: the session works). */
  async expectLoaded(): Promise<void> {
    await expect(this.notes.first()).toBeVisible();
  }

  async addNote(body: string): Promise<void> {
    await this.newNote.fill(body);
    await this.page.getByRole("button", { name: "Add note" }).click();
  }

  /** Loads the notes again (GET /api/notes) without reloading the page. */
  async reloadNotes(): Promise<void> {
    await this.page.getByRole("button", { name: "Reload", exact: true }).click();
  }

  /** Five GET /api/me at once, through the app's fetch wrapper. */
  async fireParallelRequests(): Promise<void> {
    await this.page.getByRole("button", { name: "Fire 5 requests" }).click();
  }
}
