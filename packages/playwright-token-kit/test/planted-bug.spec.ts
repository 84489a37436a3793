/**
 * pocket-notes started with PLANTED_BUG=double-refresh: its client refreshes once per 401, so five
 * parallel 401s cause up to five refreshes (and, when two of them present the same token, a revoked
 * session). `toHaveRefreshedOnce` must fail on it, and say which request broke the flow.
 */
import { definePlantedBugTests } from "playwright-token-kit/contract";
import { kit, loadFive } from "./fixtures";

definePlantedBugTests(kit, { fireParallelRequests: loadFive });
