import "server-only";

/**
 * Password hashing with argon2id (`@node-rs/argon2`: the Rust implementation, prebuilt for
 * common platforms, nothing compiled or downloaded at install).
 *
 * Parameters are OWASP's Password Storage Cheat Sheet baseline for argon2id:
 * 19 MiB of memory, 2 iterations, 1 lane. The PHC string stores them, so
 * raising them later still verifies old hashes. The hashes are the standard
 * encoded form, so those written by the `argon2` package this app used before
 * verify unchanged (lib/auth/passwords.test.ts keeps one).
 *
 * Every hash and verification runs through this process's hash pool
 * (lib/auth/hash-pool.ts): at most a few at once, a short line, and ServerBusy
 * (503) at once when it is full. Request code takes its place (a ticket) when the
 * request starts and passes it here; without one, a sign-in place is taken now.
 */
import { hash, verify } from "@node-rs/argon2";
import { type HashTicket, getHashPool } from "@/lib/auth/hash-pool";

// `algorithm` is left at the library's default, Argon2id (its type is a const enum, which
// isolated modules cannot import); the test checks the `$argon2id$` prefix.
const ARGON2_OPTIONS = {
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Runs on the caller's ticket, or else takes a sign-in place now (ServerBusy when full). */
function inPool<T>(ticket: HashTicket | undefined, job: () => Promise<T>): Promise<T> {
  return ticket ? ticket.run(job) : getHashPool().run("sign-in", job);
}

/**
 * @example
 * const passwordHash = await hashPassword("correct horse battery staple", ticket);
 */
export function hashPassword(password: string, ticket?: HashTicket): Promise<string> {
  return inPool(ticket, () => hash(password, ARGON2_OPTIONS));
}

/**
 * False for a wrong password or a malformed hash.
 *
 * @example
 * if (!(await verifyPassword(user.passwordHash, password, ticket))) throw new InvalidCredentials();
 */
export function verifyPassword(
  passwordHash: string,
  password: string,
  ticket?: HashTicket,
): Promise<boolean> {
  return inPool(ticket, () => verifyUnpooled(passwordHash, password));
}

async function verifyUnpooled(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends one hash verification for a login whose email matches no account,
 * so "unknown email" and "wrong password" take the same time, and the same place in the pool.
 */
export async function verifyAgainstDummyHash(password: string, ticket?: HashTicket): Promise<void> {
  await inPool(ticket, async () => {
    // Made once per process, inside the first dummy job's slot.
    dummyHash ??= hash("dummy password that never matches", ARGON2_OPTIONS);
    await verifyUnpooled(await dummyHash, password);
  });
}
