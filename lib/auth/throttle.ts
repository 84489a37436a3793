import "server-only";

/**
 * Throttling of password guesses and of registrations, shared by every app instance: the
 * counters live in the database (table `rate_limits`), never in one process's memory (the one
 * exception, registrations without a known address, is per instance on purpose; see below).
 *
 * CONSUME FIRST. Every attempt takes its point before any password work, in one atomic
 * statement, and only attempts whose point is within every limit go on to the hash. The race
 * this prevents: the old "read the counters, check the password, count the failure" let every
 * guess that arrived within one hash time pass the read (150 parallel guesses against a
 * 20/hour account were all checked). Now N parallel guesses get N distinct counter values from
 * the database, and only those numbered ≤ the limit are checked; the rest get 429 + Retry-After.
 *
 * The statement, per attempt, for all its limits at once (sent straight to the driver in one round
 * trip, `getSqlRunner`: a login's statements are its hot path, docs/benchmark.md):
 *   INSERT … VALUES (key, 1, now + window), … ON CONFLICT (key) DO UPDATE
 *     SET points = live window ? points + 1 : 1, expire = live window ? expire : new end
 *   RETURNING points, expire
 * The row lock of ON CONFLICT DO UPDATE serialises concurrent attempts on one key on
 * PostgreSQL (each sees the previous one's committed count), and PGlite runs one statement at
 * a time. An expired window restarts in the same statement, so there is no "delete the old
 * row, then insert" gap for two attempts to both start a fresh window in.
 *
 * Why not rate-limiter-flexible's Prisma store (used here before): its consume is a
 * `deleteMany` of the expired row followed by Prisma's `upsert` with `increment`, i.e. two
 * statements per limit (six round trips for three limits), atomic only as long as Prisma
 * chooses to send that upsert as a native INSERT … ON CONFLICT (it falls back to read-then-
 * write when a query leaves its narrow criteria), and timed by each instance's `Date.now()`,
 * which ignores the app's clock (lib/auth/clock.ts). One hand-written statement states the
 * atomicity where it can be read and costs one round trip.
 *
 * Points come back on success: a correct password gives every counter its point back, and
 * clears this address's count for the account (a user who signs in often is never throttled
 * by their own logins; an attacker gains nothing, since only the right password refunds).
 *
 * Limits, each with its own fixed window:
 * - per account and address: 5 attempts / 15 min. Stops guessing one
 *   password from one place, without letting that place lock the owner out
 *   elsewhere.
 * - per account: 20 attempts / hour. Caps guessing spread over many
 *   addresses. Trade-off: someone who knows an email can keep that account
 *   throttled (never disabled: the window always ends). See SECURITY.md.
 * - per address: 50 attempts / hour. Slows credential stuffing across many
 *   accounts from one address.
 * The address is known only behind a trusted proxy (TRUST_PROXY=1); without
 * one, only the per-account limit applies. Unknown emails are counted like
 * real ones, so the 429 reveals nothing about which emails have accounts.
 * Wrong current passwords at POST /api/auth/password count against the same
 * keys: a stolen access token is no better an oracle than the login form.
 *
 * Registrations: 20 per address per hour behind a trusted proxy (in the database, like the
 * login counters). Without one, no address is known, so the only honest limit is global: per
 * instance, REGISTRATION_LIMIT_PER_MINUTE in this process's memory, because what it protects
 * is this instance's CPU (every registration is a hash; see lib/auth/hash-pool.ts).
 */
import { currentTime } from "@/lib/auth/clock";
import { TooManyLoginAttempts, TooManyRegistrations } from "@/lib/auth/errors";
import { getDb, getSqlRunner } from "@/lib/db/client";
import { getEnv } from "@/lib/env";

type Limit = { name: string; points: number; durationSeconds: number };

export const LOGIN_LIMITS = {
  accountAndAddress: { name: "login:account+ip", points: 5, durationSeconds: 15 * 60 },
  account: { name: "login:account", points: 20, durationSeconds: 60 * 60 },
  address: { name: "login:ip", points: 50, durationSeconds: 60 * 60 },
} as const satisfies Record<string, Limit>;

export const REGISTRATION_LIMITS = {
  address: { name: "register:ip", points: 20, durationSeconds: 60 * 60 },
} as const satisfies Record<string, Limit>;

type Counter = { limit: Limit; key: string };

function loginCounters(email: string, ip: string | null): Counter[] {
  const counters: Counter[] = [{ limit: LOGIN_LIMITS.account, key: email }];
  if (ip) {
    counters.push({ limit: LOGIN_LIMITS.accountAndAddress, key: `${email}|${ip}` });
    counters.push({ limit: LOGIN_LIMITS.address, key: ip });
  }
  return counters;
}

const rowKey = ({ limit, key }: Counter) => `${limit.name}:${key}`;

const CLEANUP_INTERVAL_MS = 5 * 60 * 1000;
const globalForCleanup = globalThis as typeof globalThis & { __rateLimitCleanupAt?: number };

/**
 * Every guess at an unknown email adds rows; ended windows are deleted, at most once per five
 * minutes per process, an hour after they end (a row whose window ended is a fresh start anyway).
 */
async function forgetExpiredCounters(now: Date): Promise<void> {
  const last = globalForCleanup.__rateLimitCleanupAt ?? 0;
  if (now.getTime() - last < CLEANUP_INTERVAL_MS && now.getTime() >= last) return;
  globalForCleanup.__rateLimitCleanupAt = now.getTime();
  const db = await getDb();
  await db.rateLimit.deleteMany({ where: { expire: { lt: new Date(now.getTime() - 3_600_000) } } });
}

type CountedRow = { key: string; points: number; expire: Date };

/** The account row a login reads with its throttle point (the columns of `users`). */
export type AccountRow = {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
};

type Nullable<T> = { [K in keyof T]: T[K] | null };

/** The seconds to wait when any counter is now past its limit (this attempt must not go on), else 0. */
function retryAfterSeconds(counters: Counter[], counted: CountedRow[], now: Date): number {
  let waitMs = 0;
  for (const counter of counters) {
    const row = counted.find((r) => r.key === rowKey(counter));
    if (row && row.points > counter.limit.points) {
      waitMs = Math.max(waitMs, new Date(row.expire).getTime() - now.getTime());
    }
  }
  return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
}

/**
 * Takes one point from every counter in one statement (`counted` below). Returns the seconds to
 * wait when any counter is now past its limit (this attempt must not go on), else 0; and, when
 * `accountEmail` is given, the account it names, read by the same statement (a login's first
 * round trip), else null.
 */
async function consumePoints(
  counters: Counter[],
  accountEmail?: string,
): Promise<{ wait: number; account: AccountRow | null }> {
  const now = currentTime();
  await forgetExpiredCounters(now);
  const rows = counters.map((_, i) => `($${2 * i + 2}::text, 1, $${2 * i + 3}::timestamptz)`);
  const values = [
    now.toISOString(),
    ...counters.flatMap((counter) => [
      rowKey(counter),
      new Date(now.getTime() + counter.limit.durationSeconds * 1000).toISOString(),
    ]),
  ];
  const counted = `counted AS (
      INSERT INTO rate_limits AS r (key, points, expire)
      VALUES ${rows.join(", ")}
      ON CONFLICT (key) DO UPDATE SET
        points = CASE WHEN r.expire > $1::timestamptz THEN r.points + 1 ELSE 1 END,
        expire = CASE WHEN r.expire > $1::timestamptz THEN r.expire ELSE EXCLUDED.expire END
      RETURNING key, points, expire)`;
  const run = await getSqlRunner();
  const result = await run<CountedRow & Nullable<AccountRow>>(
    accountEmail === undefined
      ? {
          name: `consume_rate_limits_${counters.length}`,
          text: `WITH ${counted} SELECT key, points, expire FROM counted`,
          values,
        }
      : {
          name: `consume_login_attempt_find_account_${counters.length}`,
          text: `
            WITH ${counted}
            SELECT c.key, c.points, c.expire,
                   u.id, u.email, u.name, u.password_hash, u.created_at, u.updated_at
            FROM counted c LEFT JOIN users u ON u.email = $${values.length + 1}::text`,
          values: [...values, accountEmail],
        },
  );
  const first = result[0];
  return {
    wait: retryAfterSeconds(counters, result, now),
    account: first?.id ? (first as AccountRow) : null,
  };
}

/**
 * Takes this attempt's point from every login limit that applies, BEFORE the password is
 * checked; throws TooManyLoginAttempts (429, Retry-After) when any is used up, and then no
 * password work may follow. Used by password change (wrong current password); a login uses
 * consumeLoginAttemptAndFindAccount, the same point with its account lookup.
 *
 * @example
 * await consumeLoginAttempt(user.email, client.ip);
 * const ok = await verifyPassword(user.passwordHash, currentPassword);
 * if (ok) await refundLoginAttempt(user.email, client.ip);
 */
export async function consumeLoginAttempt(email: string, ip: string | null): Promise<void> {
  const { wait } = await consumePoints(loginCounters(email, ip));
  if (wait > 0) throw new TooManyLoginAttempts(wait);
}

/**
 * A login's first round trip: consumeLoginAttempt and the lookup of the account `email` names,
 * in one statement (a login's statements are its hot path, docs/benchmark.md). Throws
 * TooManyLoginAttempts when a counter is used up, whether or not the account exists, and then
 * the row read is dropped unseen. The point is taken by the same INSERT … ON CONFLICT as
 * consumeLoginAttempt's, so the race guarantees above hold unchanged.
 *
 * @example
 * const account = await consumeLoginAttemptAndFindAccount(input.email, client.ip);
 * if (account) ok = await verifyPassword(account.password_hash, input.password, ticket);
 */
export async function consumeLoginAttemptAndFindAccount(
  email: string,
  ip: string | null,
): Promise<AccountRow | null> {
  const { wait, account } = await consumePoints(loginCounters(email, ip), email);
  if (wait > 0) throw new TooManyLoginAttempts(wait);
  return account;
}

/**
 * What a login's refund touches: the counters that get their point back and the one cleared
 * (this address's count for the account). Each absent one is null.
 */
export type LoginRefund = { release: [string, string | null]; clear: string | null };

/**
 * The keys of a correct password's refund: every counter gets its point back, and this address's
 * count for the account is cleared (so a user who signs in often is never throttled by their own
 * logins). The pair's counter is cleared, not released: one statement must not change a row twice.
 */
export function loginRefund(email: string, ip: string | null): LoginRefund {
  const account = rowKey({ limit: LOGIN_LIMITS.account, key: email });
  if (!ip) return { release: [account, null], clear: null };
  return {
    release: [account, rowKey({ limit: LOGIN_LIMITS.address, key: ip })],
    clear: rowKey({ limit: LOGIN_LIMITS.accountAndAddress, key: `${email}|${ip}` }),
  };
}

/**
 * A refund as the CTEs `released` and `cleared`, for the WITH list of a statement that gives it
 * together with its own write (a login's new session, lib/auth/session-statements.ts). `nowParam`
 * is the parameter holding the current time, `firstKeyParam` the first of three holding
 * `refundValues`.
 */
export function refundCtes(nowParam: number, firstKeyParam: number): string {
  const key = (i: number) => `$${firstKeyParam + i}::text`;
  return `released AS (
      UPDATE rate_limits SET points = GREATEST(points - 1, 0)
      WHERE key IN (${key(0)}, ${key(1)}) AND expire > $${nowParam}::timestamptz
    ),
    cleared AS (
      DELETE FROM rate_limits WHERE key = ${key(2)}
    )`;
}

/** The three parameters of `refundCtes`, all NULL for no refund. */
export function refundValues(refund: LoginRefund | undefined): Array<string | null> {
  return [refund?.release[0] ?? null, refund?.release[1] ?? null, refund?.clear ?? null];
}

/**
 * After a correct password: the refund of `loginRefund`, in one statement. Only for attempts
 * that consumeLoginAttempt let through.
 */
export async function refundLoginAttempt(email: string, ip: string | null): Promise<void> {
  const run = await getSqlRunner();
  await run({
    name: "refund_login_attempt",
    text: `WITH ${refundCtes(1, 2)} SELECT 1`,
    values: [currentTime().toISOString(), ...refundValues(loginRefund(email, ip))],
  });
}

const globalForRegistrations = globalThis as typeof globalThis & {
  __registrationWindow?: { startsAt: number; count: number };
};

/**
 * Takes a registration's point before its password is hashed: per address in the database
 * behind a trusted proxy, else per instance in memory. Throws TooManyRegistrations (429).
 *
 * @example
 * await consumeRegistrationAttempt(client.ip);
 */
export async function consumeRegistrationAttempt(ip: string | null): Promise<void> {
  if (ip) {
    const { wait } = await consumePoints([{ limit: REGISTRATION_LIMITS.address, key: ip }]);
    if (wait > 0) throw new TooManyRegistrations(wait);
    return;
  }
  // One process, one event loop: the read and the increment below cannot interleave.
  const limit = getEnv().REGISTRATION_LIMIT_PER_MINUTE;
  const now = currentTime().getTime();
  let window = globalForRegistrations.__registrationWindow;
  if (!window || now >= window.startsAt + 60_000 || now < window.startsAt) {
    window = globalForRegistrations.__registrationWindow = { startsAt: now, count: 0 };
  }
  window.count += 1;
  if (window.count > limit) {
    throw new TooManyRegistrations(Math.max(1, Math.ceil((window.startsAt + 60_000 - now) / 1000)));
  }
}
