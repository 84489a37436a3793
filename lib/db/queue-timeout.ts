/** A statement waited longer than its bound in PGlite's queue (lib/db/bounded-pglite.ts). */
export class DatabaseQueueTimeout extends Error {
  override name = "DatabaseQueueTimeout";
  readonly code = "pglite-queue-timeout";
  constructor() {
    super("The embedded database was busy for longer than DB_STATEMENT_TIMEOUT_MS.");
  }
}
