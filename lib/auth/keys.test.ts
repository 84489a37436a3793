/**
 * Key rotation without logging anyone out: a token signed by the old key keeps
 * verifying while that key is still listed, and stops once it is removed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningJwk, getSigningKeys, resetSigningKeysForTests } from "@/lib/auth/keys";
import { signAccessToken, verifyAccessToken } from "@/lib/auth/tokens";
import { setEnv, useTestDatabase } from "@/test/harness";

describe("signing keys from AUTH_SIGNING_KEYS", () => {
  let restore: () => void = () => {};
  beforeAll(async () => {
    await useTestDatabase();
  });
  afterAll(() => {
    restore();
    resetSigningKeysForTests();
  });

  function useKeys(keys: object[]) {
    restore();
    restore = setEnv({ AUTH_SIGNING_KEYS: JSON.stringify({ keys }) });
    resetSigningKeysForTests();
  }

  it("signs with the first key, verifies with all, and publishes only public halves", async () => {
    const [oldKey, newKey] = [await generateSigningJwk(), await generateSigningJwk()];
    useKeys([oldKey]);
    const { accessToken } = await signAccessToken({
      userId: crypto.randomUUID(),
      sessionId: crypto.randomUUID(),
    });

    useKeys([oldKey, newKey]); // stage 1: new key known everywhere, old one still signs
    await expect(verifyAccessToken(accessToken)).resolves.toMatchObject({
      sub: expect.any(String),
    });

    useKeys([newKey, oldKey]); // stage 2: new key signs, old tokens still verify
    const { signer, publicJwks } = await getSigningKeys();
    expect(signer.kid).toBe(newKey.kid);
    await expect(verifyAccessToken(accessToken)).resolves.toBeDefined();
    expect(publicJwks.keys.map((k) => k.kid)).toEqual([newKey.kid, oldKey.kid]);
    expect(JSON.stringify(publicJwks)).not.toContain(String(newKey.d));

    useKeys([newKey]); // stage 3: old key retired
    await expect(verifyAccessToken(accessToken)).rejects.toMatchObject({ code: "token_invalid" });
  });

  it("refuses a malformed key set without echoing it", async () => {
    restore();
    restore = setEnv({ AUTH_SIGNING_KEYS: '{"keys":[{"kty":"RSA","d":"SECRET-MATERIAL"}]}' });
    resetSigningKeysForTests();
    const error = await getSigningKeys().catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/AUTH_SIGNING_KEYS is not a JWKS/);
    expect((error as Error).message).not.toContain("SECRET-MATERIAL");
  });
});
