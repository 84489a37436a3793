/**
 * What this project's specs import: playwright-token-kit's `test` and `expect` for this app
 * (its adapter: e2e/adapter.ts), and this app's helpers, in one place. e2e/README.md documents them.
 */
import { createKit } from "playwright-token-kit";
import { appAdapter } from "./adapter";

export const kit = createKit(appAdapter);
export const { test, expect } = kit;
export type { Credentials } from "./adapter";
export { REFRESH_COOKIE_NAME, SESSION_HINT_COOKIE_NAME } from "./adapter";
export { AuthNetwork } from "playwright-token-kit";
export * from "./helpers";
