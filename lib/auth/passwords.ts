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
 * (503) at once when the line is full.
 */
import { hash, verify } from "@node-rs/argon2";
import { type HashPriority, getHashPool } from "@/lib/auth/hash-pool";

// `algorithm` is left at the library's default, Argon2id (its type is a const enum, which
// isolated modules cannot import); the test checks the `$argon2id$` prefix.
const ARGON2_OPTIONS = {
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * Throws ServerBusy when the hash pool is full.
 *
 * @example
 * const passwordHash = await hashPassword("correct horse battery staple", "sign-up");
 */
export function hashPassword(
  password: string,
  priority: HashPriority = "sign-in",
): Promise<string> {
  return getHashPool().run(priority, () => hash(password, ARGON2_OPTIONS));
}

/**
 * False for a wrong password or a malformed hash; throws ServerBusy when the hash pool is full.
 *
 * @example
 * if (!(await verifyPassword(user.passwordHash, password))) throw new InvalidCredentials();
 */
export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return getHashPool().run("sign-in", () => verifyUnpooled(passwordHash, password));
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
export async function verifyAgainstDummyHash(password: string): Promise<void> {
  await getHashPool().run("sign-in", async () => {
    // Made once per process, inside the first dummy job's slot.
    dummyHash ??= hash("dummy password that never matches", ARGON2_OPTIONS);
    await verifyUnpooled(await dummyHash, password);
  });
}
