/**
 * playwright-token-kit's contract (packages/playwright-token-kit/src/contract.ts) against this
 * app. The kit's own suite runs the same tests against examples/pocket-notes, an app that shares
 * no code with this one.
 */
import { defineContractTests } from "playwright-token-kit/contract";
import { expect, kit } from "./fixtures";
import { DashboardPage } from "./pages/dashboard-page";

defineContractTests(kit, {
  protectedPath: "/api/me",
  parallelRequests: 5,
  startParallelRequests: (page) => new DashboardPage(page).fireParallelRequests(),
  fireParallelRequests: async (page) => {
    const dashboard = new DashboardPage(page);
    await dashboard.fireParallelRequests();
    await expect(dashboard.parallelResult).toContainText("200, 200, 200, 200, 200");
  },
  expectSignedIn: async (page, user) => {
    await expect(new DashboardPage(page).header.signedInAs).toContainText(user.email);
  },
});
