import "server-only";

/**
 * The structured log: one JSON object per line on stdout (pino), which is what log shippers
 * (journald, Docker, Loki, CloudWatch) read without a parser of their own. Every line carries
 * `time` (ISO), `level` (a name, not pino's number) and `msg`; events add `event` and their own
 * fields (lib/ops/events.ts).
 *
 * IMPORTANT: never pass a request, a header, a cookie, a body or an error's message here. What is
 * logged is spelled out field by field at each call site, so a secret cannot arrive by accident;
 * the `redact` list below is a second fence for the names a secret would have, not the first.
 *
 * @example
 * getLogger().info({ event: "prune", deleted: 120 }, "prune");
 */
import { type DestinationStream, type Logger, pino } from "pino";
import { getEnv } from "@/lib/env";

/** Field names that would only ever hold a secret: replaced by "[redacted]" if one slips in. */
const REDACTED_FIELDS = [
  "password",
  "passwordHash",
  "token",
  "refreshToken",
  "accessToken",
  "cookie",
  "authorization",
  "*.password",
  "*.passwordHash",
  "*.token",
  "*.refreshToken",
  "*.accessToken",
  "*.cookie",
  "*.authorization",
];

const globalForLogger = globalThis as typeof globalThis & {
  __opsLogger?: Logger;
  /** Test-only overrides, set through lib/dev/process-state.ts `captureOpsLogs`. */
  __opsLogDestination?: DestinationStream;
  __opsLogLevel?: string;
};

/** The process's logger, created on first use at LOG_LEVEL. */
export function getLogger(): Logger {
  globalForLogger.__opsLogger ??= pino(
    {
      level: globalForLogger.__opsLogLevel ?? getEnv().LOG_LEVEL,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_FIELDS, censor: "[redacted]" },
    },
    // Unset: pino's default, a synchronous write to stdout (a line is out before the next one).
    globalForLogger.__opsLogDestination,
  );
  return globalForLogger.__opsLogger;
}
