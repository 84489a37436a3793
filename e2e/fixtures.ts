/**
 * What this project's specs import: the kit's `test` and `expect` (e2e/kit/, documented in
 * e2e/README.md) and its helpers, in one place.
 */
export { expect, test } from "./kit/fixtures";
export type { Credentials } from "./kit/app";
export {
  REFRESH_COOKIE_NAME,
  SESSION_HINT_COOKIE_NAME,
  createDeviceKey,
  plantDeviceKey,
  proofHeader,
  signDeviceProof,
} from "./kit/app";
export type { DeviceKey } from "./kit/app";
export { AuthNetwork } from "./kit/auth-network";
export * from "./kit/helpers";
