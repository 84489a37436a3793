/**
 * What this project's specs import: playwright-token-kit's `test` and `expect` for this app
 * (its adapter: e2e/adapter.ts), and this app's helpers, in one place. e2e/README.md documents them.
 */
import type { DeviceKey } from "./adapter";
import { createKit } from "playwright-token-kit";
import { appAdapter } from "./adapter";

const kit = createKit(appAdapter);
export { kit };
export const { expect } = kit;
/**
 * The kit's `test`, plus `sessionDevice`: the checked-out worker session's key (adapter.ts
 * `DeviceKey`, the kit's `sessionState`), planted in the test's browser. What a refresh from
 * outside needs to pass as that browser.
 */
export const test = kit.test.extend<{ sessionDevice: DeviceKey }>({
  sessionDevice: async ({ sessionState }, use) => {
    if (!sessionState) {
      throw new Error("The worker's session has no device key: its check-out should sign in.");
    }
    await use(sessionState as DeviceKey);
  },
});
export type { Credentials, DeviceKey } from "./adapter";
export {
  REFRESH_COOKIE_NAME,
  SESSION_HINT_COOKIE_NAME,
  accessHeaders,
  createDeviceKey,
  keepPageKey,
  pageAccessHeaders,
  plantDeviceKey,
  proofHeader,
  signDeviceProof,
} from "./adapter";
export { AuthNetwork } from "playwright-token-kit";
export * from "./helpers";
