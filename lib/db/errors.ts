import "server-only";

/**
 * Which database failures mean "the database is unavailable right now" (answer 503
 * ServiceUnavailable with Retry-After, the client keeps its session and tries again) rather
 * than "this code is wrong" (a 500).
 *
 * Classified by code only: Prisma's error code, the PostgreSQL SQLSTATE the driver adapter
 * passes along, or node-postgres' socket code. Messages and parameters are never read into a
 * log line (they can carry user input such as an email address).
 */
import { Prisma } from "@/lib/db/generated/client";
import { DatabaseQueueTimeout } from "@/lib/db/queue-timeout";

/** Prisma codes that name an outage or a timeout, never a bug or bad input. */
const UNAVAILABLE_PRISMA_CODES = new Set([
  "P1001", // cannot reach the database server
  "P1002", // the server was reached but timed out
  "P1008", // operation (socket) timed out
  "P1017", // the server closed the connection
  "P2024", // timed out fetching a connection from the pool
  "P2028", // transaction API: could not start in maxWait, or ran past its timeout
  "P2034", // write conflict or deadlock: the transaction can simply be tried again
  "P2037", // too many connections
  // Prisma rethrows our adapter's own error as a known request error carrying its code.
  new DatabaseQueueTimeout().code,
]);

/**
 * SQLSTATEs that the adapter wraps as P2039 ("Database error") and that mean an outage or a
 * bound we set: connection exceptions (class 08), insufficient resources (53), operator
 * intervention (57: statement_timeout's query_canceled, admin or crash shutdown, "the database
 * system is starting up"), lock_not_available (lock_timeout), idle-in-transaction timeout,
 * serialization failure and deadlock.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57)|^(55P03|25P03|40001|40P01)$/;

/** node-postgres socket and pool failures that carry no SQLSTATE. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
/** node-postgres says these in its message only (no code): pool or connect timeouts, a dropped link. */
const UNAVAILABLE_PG_MESSAGES = [
  /^timeout exceeded when trying to connect$/,
  /^Connection terminated/,
  /^Query read timeout$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
  // The embedded database closed under a request (shutdown in progress).
  /^PGlite is closed$/,
];

export type DatabaseFailure = {
  /** True when the failure is an outage or a timeout: answer 503, not 500. */
  unavailable: boolean;
  /** A code safe to log ("P2028", "P2039/57014", "ECONNREFUSED"), or null when there is none. */
  code: string | null;
};

/**
 * Driver-adapter error kinds that name an outage. A raw query (`$queryRaw`, the one-statement
 * rotation) fails as P2010 "raw query failed" whatever the cause, so its kind decides.
 */
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "TlsConnectionError",
  "TransactionWriteConflict",
]);

function readAdapterKind(error: Prisma.PrismaClientKnownRequestError): string | null {
  const meta = error.meta as { driverAdapterError?: { cause?: { kind?: unknown } } } | undefined;
  const kind = meta?.driverAdapterError?.cause?.kind;
  return typeof kind === "string" ? kind : null;
}

function readSqlState(error: Prisma.PrismaClientKnownRequestError): string | null {
  const meta = error.meta as
    { driverAdapterError?: { cause?: Record<string, unknown> } } | undefined;
  const cause = meta?.driverAdapterError?.cause;
  const code = cause?.originalCode ?? cause?.code;
  return typeof code === "string" ? code : null;
}

/**
 * Classifies any thrown value; returns null for errors that do not come from the database.
 *
 * @example
 * classifyDatabaseError(error); // { unavailable: true, code: "P2039/55P03" } after lock_timeout
 */
export function classifyDatabaseError(error: unknown): DatabaseFailure | null {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const sqlState = readSqlState(error);
    const code = sqlState ? `${error.code}/${sqlState}` : error.code;
    const kind = readAdapterKind(error);
    const unavailable =
      UNAVAILABLE_PRISMA_CODES.has(error.code) ||
      (sqlState !== null && UNAVAILABLE_SQLSTATE.test(sqlState)) ||
      (kind !== null && UNAVAILABLE_ADAPTER_KINDS.has(kind));
    return { unavailable, code };
  }
  if (error instanceof Prisma.PrismaClientInitializationError) {
    return { unavailable: true, code: error.errorCode ?? "init" };
  }
  if (error instanceof Prisma.PrismaClientUnknownRequestError) {
    return { unavailable: false, code: "unknown-request" };
  }
  if (error instanceof DatabaseQueueTimeout) return { unavailable: true, code: error.code };
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && UNAVAILABLE_SOCKET_CODES.has(code)) {
    return { unavailable: true, code };
  }
  if (typeof code === "string" && UNAVAILABLE_SQLSTATE.test(code) && "severity" in error) {
    return { unavailable: true, code };
  }
  if (UNAVAILABLE_PG_MESSAGES.some((pattern) => pattern.test(error.message))) {
    return { unavailable: true, code: "pg-connection" };
  }
  return null;
}
