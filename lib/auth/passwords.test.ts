import { describe, expect, it } from "vitest";
import { hashPassword, verifyAgainstDummyHash, verifyPassword } from "@/lib/auth/passwords";

/** Written by the `argon2` package (0.45.1) this app hashed with before `@node-rs/argon2`. */
const HASH_FROM_ARGON2_PACKAGE =
  "$argon2id$v=19$m=19456,p=1,t=2$4FPup2x1LRof7AsCUXkQlw$iEsenx0sM7WhAb0Xwz0IdIR10M2OVNWp1eQJVyMs/k8";

describe("passwords", () => {
  it("hashes with argon2id and the OWASP parameters, and verifies its own hashes", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, "correct horse battery staple")).toBe(true);
    expect(await verifyPassword(hash, "Correct horse battery staple")).toBe(false);
  });

  it("still verifies hashes written by the previous library", async () => {
    expect(await verifyPassword(HASH_FROM_ARGON2_PACKAGE, "correct horse battery staple")).toBe(
      true,
    );
    expect(await verifyPassword(HASH_FROM_ARGON2_PACKAGE, "wrong")).toBe(false);
  });

  it("answers false for a malformed hash instead of throwing", async () => {
    expect(await verifyPassword("not a hash", "anything")).toBe(false);
    await expect(verifyAgainstDummyHash("anything")).resolves.toBeUndefined();
  });
});
