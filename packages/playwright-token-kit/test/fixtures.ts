/** The kit for examples/pocket-notes, as a team using it would write its fixtures file. */
import type { Page } from "@playwright/test";
import { createKit } from "playwright-token-kit";
import { pocketNotes } from "./pocket-notes.adapter";

export const kit = createKit(pocketNotes);
export const { test, expect } = kit;

/** Clicks "Load 5 at once": five GET /api/me at once through the page's client. */
export async function startFive(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Load 5 at once" }).click();
}

/** "Load 5 at once", resolved when all five are answered (or the page signed the user out). */
export async function loadFive(page: Page): Promise<void> {
  await startFive(page);
  // Over when the five answers are shown, or when the page has signed the user out.
  const done = page.getByTestId("five-result").filter({ hasText: /\d/ });
  await expect(
    done.or(page.getByTestId("status").filter({ hasText: /^Signed out/ })),
  ).toBeVisible();
}
