/**
 * The kit's contract (src/contract.ts) against examples/pocket-notes: a node:http app that shares
 * no code with this repository's Next.js app (which runs the same contract, e2e/kit-contract.spec.ts).
 */
import { defineContractTests } from "playwright-token-kit/contract";
import { expect, kit, loadFive, startFive } from "./fixtures";

defineContractTests(kit, {
  protectedPath: "/api/me",
  parallelRequests: 5,
  startParallelRequests: startFive,
  fireParallelRequests: async (page) => {
    await loadFive(page);
    await expect(page.getByTestId("five-result")).toHaveText("200 200 200 200 200");
  },
  expectSignedIn: async (page, user) => {
    await expect(page.getByTestId("whoami")).toHaveText(user.email);
  },
});
