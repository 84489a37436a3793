/**
 * What every fault test asserts in the database afterwards (read straight with SQL, not through
 * the app): nothing a client was told happened is missing, and every live session is in the
 * state the rotation protocol promises.
 */
import type { VirtualUser } from "./load-driver";

export type Query = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

export type InvariantReport = {
  /** Users whose acknowledged registration is not in the database. */
  missingUsers: string[];
  /** Acknowledged refresh tokens (a 200 reached the client) missing from the database. */
  missingTokens: number;
  /** Sessions revoked for reuse: with no attacker anywhere, every one is a false verdict. */
  reuseVerdicts: number;
  /** Live sessions whose head is not exactly one unused token, the one its user holds. */
  badHeads: string[];
};

export async function checkInvariants(
  query: Query,
  users: VirtualUser[],
): Promise<InvariantReport> {
  const registered = users.filter((u) => u.userId);
  const userIds = registered.map((u) => u.userId!);
  const found = await query(`SELECT id::text AS id FROM users WHERE id::text = ANY($1::text[])`, [
    userIds,
  ]);
  const foundIds = new Set(found.map((r) => r.id as string));
  const hashes = registered.flatMap((u) => u.acknowledgedTokenHashes);
  const present = await query(
    `SELECT count(*)::int AS n FROM refresh_tokens WHERE token_hash = ANY($1::text[])`,
    [hashes],
  );
  const reused = await query(
    `SELECT count(*)::int AS n FROM sessions
      WHERE user_id::text = ANY($1::text[]) AND revoke_reason = 'refresh_token_reused'`,
    [userIds],
  );
  const heads = await query(
    `SELECT s.id::text AS session_id, array_agg(t.token_hash) AS unused_head
       FROM sessions s
       LEFT JOIN refresh_tokens t
         ON t.session_id = s.id AND t.generation = s.head_generation AND t.used_at IS NULL
      WHERE s.user_id::text = ANY($1::text[]) AND s.revoked_at IS NULL
      GROUP BY s.id`,
    [userIds],
  );
  const holding = new Map(
    registered.map((u) => [u.sessionId!, u.acknowledgedTokenHashes.at(-1)!] as const),
  );
  const badHeads = heads
    .filter((row) => {
      const unused = (row.unused_head as (string | null)[]).filter(Boolean);
      if (unused.length !== 1) return true;
      // A session nobody holds (a registration whose answer was lost, then a login) still has
      // its one unused head; a held one must have exactly the token its user holds.
      const held = holding.get(row.session_id as string);
      return held !== undefined && unused[0] !== held;
    })
    .map((row) => row.session_id as string);
  return {
    missingUsers: userIds.filter((id) => !foundIds.has(id)),
    missingTokens: hashes.length - Number(present[0]!.n),
    reuseVerdicts: Number(reused[0]!.n),
    badHeads,
  };
}
