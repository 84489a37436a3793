/**
 * PGlite's bounded wait. PGlite is one PostgreSQL backend in this process: it runs one
 * statement, or one transaction, at a time, and everything else queues behind it with no limit
 * and no `statement_timeout` (there is no second backend to cancel it from). A request whose
 * query waits behind a long transaction would hang as long as that transaction.
 *
 * This wraps the driver adapter so that a statement outside a transaction gives up after
 * `waitMs` (DB_STATEMENT_TIMEOUT_MS) with `DatabaseQueueTimeout`, which the API answers as 503
 * ServiceUnavailable. Transactions are bounded by Prisma's `maxWait` (their place in the
 * queue) and `timeout` (their whole run), set in lib/db/client.ts.
 *
 * IMPORTANT: a statement that gave up stays in PGlite's queue and still runs when its turn
 * comes (PGlite cannot withdraw it). The client was told 503 and tries again, so this is only
 * ever a read, an idempotent write (revocations, "last used"), or the one-statement rotation:
 * a rotation that ran after its client heard 503 leaves that client holding the head's parent,
 * whose retry is the lost-answer case (GRACE, lib/auth/sessions.ts). The careful path runs in
 * a transaction, whose late start Prisma rolls back.
 */
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import { DatabaseQueueTimeout } from "./queue-timeout";

/**
 * `work`, or DatabaseQueueTimeout after `waitMs` (the statement itself stays queued and runs).
 *
 * @example
 * const { rows } = await boundedPgliteWait(pglite.query(sql, params), 5_000);
 */
export function boundedPgliteWait<T>(work: Promise<T>, waitMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseQueueTimeout()), waitMs);
  });
  // The abandoned statement may still fail later; nobody is waiting for it any more.
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function boundAdapter(adapter: SqlDriverAdapter, waitMs: number): SqlDriverAdapter {
  return new Proxy(adapter, {
    get(target, property, receiver) {
      if (property === "queryRaw" || property === "executeRaw") {
        const run = Reflect.get(target, property, receiver) as (query: unknown) => Promise<unknown>;
        return (query: unknown) => boundedPgliteWait(run.call(target, query), waitMs);
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * @example
 * const factory = boundPgliteStatements(new PrismaPGlite(pglite), 5_000);
 */
export function boundPgliteStatements(
  factory: SqlMigrationAwareDriverAdapterFactory,
  waitMs: number,
): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => boundAdapter(await factory.connect(), waitMs),
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
}
