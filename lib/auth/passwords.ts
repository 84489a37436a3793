import "server-only";

/**
 * Password hashing with argon2id (the `argon2` package: the reference C
 * implementation, prebuilt for common platforms).
 *
 * Parameters are OWASP's Password Storage Cheat Sheet baseline for argon2id:
 * 19 MiB of memory, 2 iterations, 1 lane. The PHC string stores them, so
 * raising them later still verifies old hashes.
 */
import argon2 from "argon2";

const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * @example
 * const passwordHash = await hashPassword("correct horse battery staple");
 */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

/**
 * @example
 * if (!(await verifyPassword(user.passwordHash, password))) throw new InvalidCredentials();
 */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends one hash verification for a login whose email matches no account,
 * so "unknown email" and "wrong password" take the same time.
 */
export async function verifyAgainstDummyHash(password: string): Promise<void> {
  dummyHash ??= hashPassword("dummy password that never matches");
  await verifyPassword(await dummyHash, password);
}
