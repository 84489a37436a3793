/**
 * Route handlers run inside `next start`, which sets up its Node environment before loading
 * them (next/dist/server/node-environment-baseline: AsyncLocalStorage on globalThis, which
 * `next/server`'s `after` needs at import). The HTTP-level tests call the same handlers
 * directly, so they get the same environment first, whatever file happens to run first.
 */
import "next/dist/server/node-environment-baseline";
