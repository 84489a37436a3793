/**
 * The hot path's statements through PgBouncer 1.18 in `pool_mode = transaction` (deploy/
 * pgbouncer.ini as it is): the runner the rotation and login use (lib/db/adapter.ts), with the
 * pool settings the app uses in that mode, from many connections at once. PgBouncer 1.18 has no
 * prepared-statement tracking, so the same statement sent named fails here; sent unnamed it works.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenDatabase, openDatabase } from "@/lib/db/adapter";
import { createScratchDatabase, findFreePort } from "@/scripts/app-server";
import { type PrivateCluster, startPrivateCluster } from "../faults/postgres-cluster";
import { type PgBouncer, startPgBouncer } from "./stack";

let cluster: PrivateCluster;
let bouncer: PgBouncer;
let database: OpenDatabase;

// What lib/db/client.ts `databaseBounds` gives the pool with DB_POOL_MODE=transaction: no
// server-side timeouts as startup parameters (PgBouncer would refuse the connection).
const TRANSACTION_MODE_POOL = { max: 8, connectionTimeoutMillis: 5_000, query_timeout: 6_000 };

beforeAll(async () => {
  const [first, last] = (process.env.FAULTS_PG_PORTS ?? "55440-55449").split("-").map(Number);
  cluster = await startPrivateCluster(first!, last ?? first!);
  const scratch = await createScratchDatabase(cluster.url, "pooler");
  bouncer = await startPgBouncer({
    port: await findFreePort(),
    upstreamPort: cluster.port,
    database: scratch.name,
  });
  database = await openDatabase(
    { kind: "postgres", url: bouncer.url },
    { pool: TRANSACTION_MODE_POOL },
  );
});

afterAll(async () => {
  await database?.close();
  bouncer?.remove();
  cluster?.remove();
});

const STATEMENT = {
  name: "hot_path_probe",
  text: "SELECT $1::int + 1 AS next, current_setting('statement_timeout') AS statement_timeout",
};

describe("PgBouncer 1.18, transaction mode", () => {
  it("runs one statement name from many connections at once (sent unnamed)", async () => {
    const rows = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        database.run<{ next: number; statement_timeout: string }>({ ...STATEMENT, values: [i] }),
      ),
    );
    expect(rows.map((r) => r[0]!.next)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    // The server-side bound still applies: the pooler's connect_query set it.
    expect(new Set(rows.map((r) => r[0]!.statement_timeout))).toEqual(new Set(["5s"]));
  });

  it("is where a named statement breaks, and a startup timeout is refused", async () => {
    const pool = new pg.Pool({ connectionString: bouncer.url, ...TRANSACTION_MODE_POOL });
    try {
      const named = await Promise.allSettled(
        Array.from({ length: 64 }, (_, i) => pool.query({ ...STATEMENT, values: [i] })),
      );
      expect(named.some((r) => r.status === "rejected")).toBe(true);
    } finally {
      await pool.end();
    }
    const withStartupTimeout = new pg.Client({
      connectionString: bouncer.url,
      statement_timeout: 5_000,
    });
    await expect(withStartupTimeout.connect()).rejects.toMatchObject({ code: "08P01" });
  });
});

describe("a direct connection (DB_POOL_MODE=direct)", () => {
  // What lib/db/client.ts gives the runner per mode: named on a connection of our own, unnamed
  // for a transaction-mode pooler. One connection, so the second query sees the first's session.
  const preparedAfterRun = async (namedStatements: boolean) => {
    const direct = await openDatabase(
      { kind: "postgres", url: cluster.url },
      { pool: { max: 1 }, namedStatements },
    );
    try {
      await direct.run({ ...STATEMENT, values: [1] });
      const rows = await direct.run<{ name: string }>({
        name: "hot_path_probe_prepared",
        text: "SELECT name FROM pg_prepared_statements WHERE name = $1::text",
        values: [STATEMENT.name],
      });
      return rows.length;
    } finally {
      await direct.close();
    }
  };

  it("prepares the hot path's statement once per connection when named, never when not", async () => {
    expect(await preparedAfterRun(true)).toBe(1);
    expect(await preparedAfterRun(false)).toBe(0);
  });
});
