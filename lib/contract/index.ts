/**
 * The wire contract: everything that crosses between the browser and the API, as zod schemas and
 * `as const` names. Imports only zod, so route handlers, server modules, the browser client and
 * the components share it (eslint.config.mjs keeps it that way).
 */
export * from "./dev";
export * from "./device";
export * from "./errors";
export * from "./http";
export * from "./jwks";
export * from "./notes";
export * from "./security-events";
export * from "./session";
export * from "./sessions";
