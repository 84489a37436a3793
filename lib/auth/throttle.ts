import "server-only";

/**
 * Throttling of password guesses and of registrations, shared by every app instance: the
 * counters live in the database (table `rate_limits`), never in one process's memory (the one
 * exception, registrations without a known address, is per instance on purpose; see below).
 *
 * CONSUME FIRST. Every attempt takes its points before any password work, in one statement, and
 * only an attempt that every limit admits goes on to the hash. The race this prevents: the old
 * "read the counters, check the password, count the failure" let every guess that arrived within
 * one hash time pass the read (150 parallel guesses against a 20/hour account were all checked).
 * Now N parallel guesses are admitted one at a time by the database, and only as many as the
 * limits allow reach the hash; the rest get 429 + Retry-After.
 *
 * The statement is the function `consume_rate_limits` (migration 20261207113000): for all the
 * attempt's counters at once it
 * 0. refuses at once, with no lock and no write, when a counter is already used up (a plain read);
 * 1. else locks every counter row, creating missing ones empty, in the byte order of their keys;
 * 2. reads them: a counter whose window is live and whose points have reached its limit refuses;
 * 3. only if none refuses, takes one point from each (an ended window restarts at 1).
 * So:
 * - ALL OR NOTHING. An attempt that one limit refuses is counted by no other. Before, the
 *   per-account counter also counted attempts the per-address limit had refused, so an address
 *   far over its own limit could still lock any known email out, with no hashing at all.
 * - ONE LOCK ORDER. Every statement that locks several counters (this one, the refund below, the
 *   cleanup) takes them in the same order, or skips what it cannot take: two of them can never
 *   wait on each other in a cycle. The login's consume and a concurrent login's refund did, and
 *   PostgreSQL killed one (`deadlock detected`, 40P01): a correct password answered 503, and its
 *   point was never given back. `withDeadlockRetry` (lib/db/retry.ts) remains as a backstop only.
 * - A REFUSED ATTEMPT WRITES NOTHING, and usually locks nothing (step 0): a flood of refused
 *   guesses queues on no row and leaves no dead row versions.
 * It is sent straight to the driver in one round trip (`getSqlRunner`: a login's statements are
 * its hot path, docs/benchmark.md; unnamed on PostgreSQL so it passes a transaction-mode pooler),
 * with the account lookup in the same round trip.
 *
 * Points come back on success (`refundCtes`, sent with the new session): a correct password gives
 * every counter its point back, and clears the counter of the place it came from (this address's
 * count for the account, or the device's), so a user who signs in often is never throttled by
 * their own logins; an attacker gains nothing, since only the right password refunds. The refund
 * never deletes: it locks its rows in the same order as the consume and updates them.
 *
 * Which limits an attempt meets (LOGIN_LIMITS):
 * - A browser that has signed in to this account before (a valid device cookie,
 *   lib/auth/device-cookie.ts; OWASP's "device cookie" pattern): only its own counter, 5 attempts
 *   per 15 min. The account's lock does not hold it, so whoever guesses at an account from
 *   elsewhere cannot lock its owner out of their own browser.
 * - Any other client ("untrusted"): per account and address, 5 attempts / 15 min (stops guessing
 *   one password from one place without locking the owner out elsewhere); per account, 20
 *   attempts / hour (caps guessing spread over many addresses; someone who knows an email can
 *   keep it throttled for new browsers, never for the owner's own); per address, 50 attempts /
 *   hour (slows credential stuffing across many accounts from one address).
 * The address is known only behind a trusted proxy (TRUST_PROXY=1); without one, only the
 * per-account limit applies to untrusted clients. An IPv6 client is counted by its /64
 * (THROTTLE_IPV6_PREFIX, lib/auth/throttle-address.ts). Unknown emails are counted like real
 * ones, so the 429 reveals nothing about which emails have accounts.
 *
 * Password change (a live session re-entering its current password): per session, 5 attempts per
 * hour (PASSWORD_CHANGE_LIMITS), never the login counters, so an attacker's guesses at the login
 * form cannot stop a signed-in owner from changing their password, and a stolen access token is
 * a worse oracle than the login form (its session's 5 an hour, and the session ends on success).
 *
 * Registrations: 20 per address per hour behind a trusted proxy (in the database, like the
 * login counters). Without one, no address is known, so the only honest limit is global: per
 * instance, REGISTRATION_LIMIT_PER_MINUTE in this process's memory, because what it protects
 * is this instance's CPU (every registration is a hash; see lib/auth/hash-pool.ts).
 */
import { currentTime } from "@/lib/auth/clock";
import {
  TooManyLoginAttempts,
  TooManyPasswordChangeAttempts,
  TooManyRegistrations,
} from "@/lib/auth/errors";
import { throttleAddress } from "@/lib/auth/throttle-address";
import { getSqlRunner } from "@/lib/db/client";
import { withDeadlockRetry } from "@/lib/db/retry";
import { getEnv } from "@/lib/env";
import { recordEvent } from "@/lib/ops/events";

/** A refusal, logged and counted for operators (lib/ops/events.ts) on its way out. */
function refused<
  E extends TooManyLoginAttempts | TooManyPasswordChangeAttempts | TooManyRegistrations,
>(error: E): E {
  recordEvent({
    event: "throttled",
    outcome:
      error instanceof TooManyRegistrations
        ? "registration"
        : error instanceof TooManyPasswordChangeAttempts
          ? "password_change"
          : "login",
    retryAfterSeconds: error.retryAfterSeconds,
  });
  return error;
}

type Limit = { name: string; points: number; durationSeconds: number };

export const LOGIN_LIMITS = {
  accountAndAddress: { name: "login:account+ip", points: 5, durationSeconds: 15 * 60 },
  account: { name: "login:account", points: 20, durationSeconds: 60 * 60 },
  address: { name: "login:ip", points: 50, durationSeconds: 60 * 60 },
  device: { name: "login:device", points: 5, durationSeconds: 15 * 60 },
} as const satisfies Record<string, Limit>;

export const PASSWORD_CHANGE_LIMITS = {
  session: { name: "password:session", points: 5, durationSeconds: 60 * 60 },
} as const satisfies Record<string, Limit>;

export const REGISTRATION_LIMITS = {
  address: { name: "register:ip", points: 20, durationSeconds: 60 * 60 },
} as const satisfies Record<string, Limit>;

type Counter = { limit: Limit; key: string };

const rowKey = ({ limit, key }: Counter) => `${limit.name}:${key}`;

/** The key an address is counted under: IPv6 by its network (THROTTLE_IPV6_PREFIX). */
function addressKey(ip: string): string {
  return throttleAddress(ip, getEnv().THROTTLE_IPV6_PREFIX);
}

/** One login attempt, as the throttle sees it. */
export type LoginAttempt = {
  /** Normalised, as the login form's schema leaves it. */
  email: string;
  /** The client's address (lib/http/client-info.ts), null without a trusted proxy. */
  ip: string | null;
  /** The id of this browser's valid device cookie for this account, else null. */
  deviceId: string | null;
};

/**
 * What a login's refund touches: the counters that get their point back and the one cleared
 * (the place the correct password came from). Each absent one is null.
 */
export type LoginRefund = { release: [string | null, string | null]; clear: string | null };

/** The counters a login attempt takes a point from, and the refund a correct password gives. */
function loginCounters({ email, ip, deviceId }: LoginAttempt): {
  counters: Counter[];
  refund: LoginRefund;
} {
  if (deviceId) {
    const device = { limit: LOGIN_LIMITS.device, key: deviceId };
    return { counters: [device], refund: { release: [null, null], clear: rowKey(device) } };
  }
  const account = { limit: LOGIN_LIMITS.account, key: email };
  if (!ip)
    return { counters: [account], refund: { release: [rowKey(account), null], clear: null } };
  const address = addressKey(ip);
  const pair = { limit: LOGIN_LIMITS.accountAndAddress, key: `${email}|${address}` };
  const perAddress = { limit: LOGIN_LIMITS.address, key: address };
  return {
    counters: [account, pair, perAddress],
    refund: { release: [rowKey(account), rowKey(perAddress)], clear: rowKey(pair) },
  };
}

const CLEANUP_INTERVAL_MS = 5 * 60 * 1000;
const globalForCleanup = globalThis as typeof globalThis & { __rateLimitCleanupAt?: number };

/**
 * Every guess at an unknown email adds rows; ended windows are deleted, at most once per five
 * minutes per process, an hour after they end (a row whose window ended is a fresh start anyway).
 * IMPORTANT: it deletes only rows nobody holds (SKIP LOCKED): a delete that waited on a row an
 * attempt has locked, while that attempt waits on one the delete holds, is a deadlock.
 */
async function forgetExpiredCounters(now: Date): Promise<void> {
  const last = globalForCleanup.__rateLimitCleanupAt ?? 0;
  if (now.getTime() - last < CLEANUP_INTERVAL_MS && now.getTime() >= last) return;
  globalForCleanup.__rateLimitCleanupAt = now.getTime();
  const run = await getSqlRunner();
  await run({
    name: "forget_expired_rate_limits",
    text: `
      DELETE FROM rate_limits WHERE key IN (
        SELECT key FROM rate_limits WHERE expire < $1::timestamptz FOR UPDATE SKIP LOCKED
      )`,
    values: [new Date(now.getTime() - 3_600_000).toISOString()],
  });
}

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

type ConsumedRow = { allowed: boolean; retry_at: Date | string | null };

/**
 * Takes one point from every counter, all or none, in one statement (`consume_rate_limits`).
 * Returns the seconds to wait when a counter refuses (this attempt must not go on), else 0; and,
 * when `accountEmail` is given, the account it names, read by the same statement (a login's first
 * round trip), else null.
 */
async function consumePoints(
  counters: Counter[],
  accountEmail?: string,
): Promise<{ wait: number; account: AccountRow | null }> {
  const now = currentTime();
  await forgetExpiredCounters(now);
  const n = counters.length;
  const list = (from: number, type: string) =>
    `ARRAY[${counters.map((_, i) => `$${from + i}::${type}`).join(", ")}]`;
  const consume = `consume_rate_limits($1::timestamptz, ${list(2, "text")}, ${list(2 + n, "int")}, ${list(2 + 2 * n, "timestamptz")})`;
  const values = [
    now.toISOString(),
    ...counters.map(rowKey),
    ...counters.map((c) => c.limit.points),
    ...counters.map((c) => new Date(now.getTime() + c.limit.durationSeconds * 1000).toISOString()),
  ];
  const run = await getSqlRunner();
  const result = await withDeadlockRetry(() =>
    run<ConsumedRow & Nullable<AccountRow>>(
      accountEmail === undefined
        ? {
            name: `consume_rate_limits_${n}`,
            text: `SELECT c.allowed, c.retry_at FROM ${consume} c`,
            values,
          }
        : {
            name: `consume_login_attempt_find_account_${n}`,
            text: `
              SELECT c.allowed, c.retry_at,
                     u.id, u.email, u.name, u.password_hash, u.created_at, u.updated_at
              FROM ${consume} c LEFT JOIN users u ON u.email = $${values.length + 1}::text`,
            values: [...values, accountEmail],
          },
    ),
  );
  const first = result[0];
  if (!first) throw new Error("consume_rate_limits returned no row");
  let wait = 0;
  if (!first.allowed) {
    const retryAt = first.retry_at ? new Date(first.retry_at).getTime() : now.getTime();
    wait = Math.max(1, Math.ceil((retryAt - now.getTime()) / 1000));
  }
  return { wait, account: first.id ? (first as AccountRow) : null };
}

/**
 * A login's first round trip: the attempt's points (BEFORE the password is checked) and the
 * lookup of the account `email` names, in one statement (a login's statements are its hot path,
 * docs/benchmark.md). Throws TooManyLoginAttempts (429, Retry-After) when a limit refuses,
 * whether or not the account exists (the row read is then dropped unseen), and then no password
 * work may follow. Returns the account (null when none) and the refund a correct password gives,
 * for `startSession`.
 *
 * @example
 * const { account, refund } = await consumeLoginAttemptAndFindAccount({ email, ip, deviceId });
 * if (account) ok = await verifyPassword(account.password_hash, input.password, ticket);
 */
export async function consumeLoginAttemptAndFindAccount(
  attempt: LoginAttempt,
): Promise<{ account: AccountRow | null; refund: LoginRefund }> {
  const { counters, refund } = loginCounters(attempt);
  const { wait, account } = await consumePoints(counters, attempt.email);
  if (wait > 0) throw refused(new TooManyLoginAttempts(wait));
  return { account, refund };
}

/**
 * A password change's point, per session (PASSWORD_CHANGE_LIMITS), BEFORE the current password is
 * checked. Throws TooManyPasswordChangeAttempts (429 `too_many_attempts`) when used up. No refund:
 * a successful change ends the session, and the caller continues in a new one with a fresh count.
 *
 * @example
 * await consumePasswordChangeAttempt(caller.sid);
 */
export async function consumePasswordChangeAttempt(sessionId: string): Promise<void> {
  const { wait } = await consumePoints([{ limit: PASSWORD_CHANGE_LIMITS.session, key: sessionId }]);
  if (wait > 0) throw refused(new TooManyPasswordChangeAttempts(wait));
}

/**
 * A refund as the CTEs `refund_locked` and `refunded`, for the WITH list of a statement that gives
 * it together with its own write (a login's new session, lib/auth/session-statements.ts).
 * `nowParam` is the parameter holding the current time, `firstKeyParam` the first of three
 * holding `refundValues` (two released, one cleared).
 *
 * IMPORTANT: the rows are locked first, in the consume's order (byte order of the key, ORDER BY
 * before FOR UPDATE locks in that order), and only then updated; and the cleared counter is set
 * to 0, not deleted. A refund that deleted one row and then waited for another, while a consume
 * held that one and waited for the deleted row, was the deadlock of issue 26.
 */
export function refundCtes(nowParam: number, firstKeyParam: number): string {
  const keys = [0, 1, 2].map((i) => `$${firstKeyParam + i}::text`).join(", ");
  return `refund_locked AS MATERIALIZED (
      SELECT key FROM rate_limits
      WHERE key IN (${keys}) AND expire > $${nowParam}::timestamptz
      ORDER BY key COLLATE "C"
      FOR UPDATE
    ),
    refunded AS (
      UPDATE rate_limits r
      SET points = CASE WHEN r.key = $${firstKeyParam + 2}::text THEN 0
                        ELSE GREATEST(r.points - 1, 0) END
      FROM refund_locked l
      WHERE r.key = l.key AND r.key IN (${keys})
    )`;
}

/** The three parameters of `refundCtes`, all NULL for no refund. */
export function refundValues(refund: LoginRefund | undefined): Array<string | null> {
  return [refund?.release[0] ?? null, refund?.release[1] ?? null, refund?.clear ?? null];
}

const globalForRegistrations = globalThis as typeof globalThis & {
  __registrationWindow?: { startsAt: number; count: number };
};

/**
 * Takes a registration's point before its password is hashed: per address in the database
 * behind a trusted proxy (IPv6 by its network), else per instance in memory. Throws
 * TooManyRegistrations (429).
 *
 * @example
 * await consumeRegistrationAttempt(client.ip);
 */
export async function consumeRegistrationAttempt(ip: string | null): Promise<void> {
  if (ip) {
    const { wait } = await consumePoints([
      { limit: REGISTRATION_LIMITS.address, key: addressKey(ip) },
    ]);
    if (wait > 0) throw refused(new TooManyRegistrations(wait));
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
    throw refused(
      new TooManyRegistrations(Math.max(1, Math.ceil((window.startsAt + 60_000 - now) / 1000))),
    );
  }
}
