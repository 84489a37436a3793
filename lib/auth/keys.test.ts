/**
 * Key rotation without logging anyone out: a token signed by the old key keeps
 * verifying while that key is still listed, and stops once it is removed.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type JWK, SignJWT, importJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNING_ALGORITHMS, generateSigningJwk, getSigningKeys } from "@/lib/auth/keys";
import { signAccessToken, verifyAccessToken } from "@/lib/auth/tokens";
import { forgetSigningKeys } from "@/lib/dev/process-state";
import { setEnv, useTestDatabase } from "@/test/harness";

describe("signing keys from AUTH_SIGNING_KEYS", () => {
  let restore: () => void = () => {};
  beforeAll(async () => {
    await useTestDatabase();
  });
  afterAll(() => {
    restore();
    forgetSigningKeys();
  });

  function useKeys(keys: object[], extra: Record<string, string | undefined> = {}) {
    restore();
    restore = setEnv({ AUTH_SIGNING_KEYS: JSON.stringify({ keys }), ...extra });
    forgetSigningKeys();
  }
  const subject = () => ({ userId: crypto.randomUUID(), sessionId: crypto.randomUUID() });
  const headerOf = (token: string) =>
    JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()) as Record<
      string,
      unknown
    >;

  for (const alg of SIGNING_ALGORITHMS) {
    it(`signs and verifies with an ${alg} key, and publishes it with kid and alg`, async () => {
      const key = await generateSigningJwk(alg);
      useKeys([key]);
      const { accessToken } = await signAccessToken(subject());
      expect(headerOf(accessToken)).toEqual({ alg, kid: key.kid, typ: "at+jwt" });
      await expect(verifyAccessToken(accessToken)).resolves.toBeDefined();
      const { publicJwks, signer } = await getSigningKeys();
      expect(signer).toMatchObject({ alg, kid: key.kid });
      expect(publicJwks.keys[0]).toMatchObject({ kid: key.kid, alg, use: "sig", kty: key.kty });
      for (const member of ["d", "p", "q", "dp", "dq", "qi"]) {
        expect(publicJwks.keys[0]).not.toHaveProperty(member);
      }
    });
  }

  it("migrates from Ed25519 to ES256 by rotation: both verify while both are listed", async () => {
    const [edKey, esKey] = [await generateSigningJwk("Ed25519"), await generateSigningJwk("ES256")];
    useKeys([edKey]);
    const edToken = (await signAccessToken(subject())).accessToken;

    useKeys([edKey, esKey]); // stage 1: ES256 known everywhere, Ed25519 still signs
    expect(headerOf((await signAccessToken(subject())).accessToken).alg).toBe("Ed25519");
    await expect(verifyAccessToken(edToken)).resolves.toBeDefined();

    useKeys([esKey, edKey], { ACCESS_TOKEN_ALG: "ES256" }); // stage 2: ES256 signs
    const esToken = (await signAccessToken(subject())).accessToken;
    expect(headerOf(esToken)).toMatchObject({ alg: "ES256", kid: esKey.kid });
    await expect(verifyAccessToken(edToken)).resolves.toBeDefined();
    await expect(verifyAccessToken(esToken)).resolves.toBeDefined();
    const { publicJwks, algorithms } = await getSigningKeys();
    expect(publicJwks.keys.map((k) => [k.kid, k.alg])).toEqual([
      [esKey.kid, "ES256"],
      [edKey.kid, "Ed25519"],
    ]);
    expect(algorithms.sort()).toEqual(["ES256", "Ed25519"]);

    useKeys([esKey]); // stage 3: Ed25519 retired
    await expect(verifyAccessToken(edToken)).rejects.toMatchObject({ code: "token_invalid" });
    await expect(verifyAccessToken(esToken)).resolves.toBeDefined();
  });

  it("pins each kid to its key's algorithm in a mixed set: a token cannot borrow the other kid", async () => {
    const [edKey, esKey] = [await generateSigningJwk("Ed25519"), await generateSigningJwk("ES256")];
    useKeys([esKey, edKey]);
    const now = Math.floor(Date.now() / 1000);
    const forge = async (signWith: JWK, header: { alg: string; kid: string }) =>
      new SignJWT({ sid: crypto.randomUUID() })
        .setProtectedHeader({ ...header, typ: "at+jwt" })
        .setIssuer("http://localhost:3000")
        .setAudience("http://localhost:3000")
        .setSubject(crypto.randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .setJti(crypto.randomUUID())
        .sign(await importJWK(signWith, String(signWith.alg)));
    // Controls: each key under its own kid and alg passes.
    await expect(
      verifyAccessToken(await forge(edKey, { alg: "Ed25519", kid: edKey.kid! })),
    ).resolves.toBeDefined();
    await expect(
      verifyAccessToken(await forge(esKey, { alg: "ES256", kid: esKey.kid! })),
    ).resolves.toBeDefined();
    // A genuine signature by one of our keys, presented under the other key's kid: refused.
    for (const token of [
      await forge(edKey, { alg: "Ed25519", kid: esKey.kid! }),
      await forge(esKey, { alg: "ES256", kid: edKey.kid! }),
    ]) {
      await expect(verifyAccessToken(token)).rejects.toMatchObject({ code: "token_invalid" });
    }
  });

  it("refuses ACCESS_TOKEN_ALG that contradicts the signing key, and a key whose alg lies", async () => {
    const esKey = await generateSigningJwk("ES256");
    useKeys([esKey], { ACCESS_TOKEN_ALG: "Ed25519" });
    await expect(getSigningKeys()).rejects.toThrow(/ACCESS_TOKEN_ALG is Ed25519.*ES256/);
    useKeys([{ ...esKey, alg: "HS256" }]);
    await expect(getSigningKeys()).rejects.toThrow(/cannot have alg "HS256"/);
    useKeys([{ ...esKey, alg: "ES256" }], { ACCESS_TOKEN_ALG: "ES256" });
    await expect(getSigningKeys()).resolves.toMatchObject({ signer: { alg: "ES256" } });
  });

  it("rotates an old Ed25519 development key file to ES256, keeping the old key to verify", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "jwt-devkeys-"));
    const edKey = await generateSigningJwk("Ed25519");
    await fs.writeFile(path.join(dataDir, "signing-keys.json"), JSON.stringify({ keys: [edKey] }));
    useKeys([edKey]);
    const oldToken = (await signAccessToken(subject())).accessToken;

    restore();
    restore = setEnv({
      AUTH_SIGNING_KEYS: undefined,
      DATA_DIR: dataDir,
      ACCESS_TOKEN_ALG: undefined,
    });
    forgetSigningKeys();
    const { signer, publicJwks } = await getSigningKeys();
    expect(signer.alg).toBe("ES256");
    expect(publicJwks.keys.map((k) => k.alg)).toEqual(["ES256", "Ed25519"]);
    await expect(verifyAccessToken(oldToken)).resolves.toBeDefined();
    const file = JSON.parse(await fs.readFile(path.join(dataDir, "signing-keys.json"), "utf8"));
    expect(file.keys.map((k: JWK) => k.kid)).toEqual([signer.kid, edKey.kid]);

    // A restart reads the rotated file as it is: no second rotation.
    forgetSigningKeys();
    expect((await getSigningKeys()).signer.kid).toBe(signer.kid);
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("signs with the first key, verifies with all, and publishes only public halves", async () => {
    const [oldKey, newKey] = [await generateSigningJwk(), await generateSigningJwk()];
    expect(oldKey.alg).toBe("ES256"); // the default
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
    forgetSigningKeys();
    const error = await getSigningKeys().catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/AUTH_SIGNING_KEYS is not a JWKS/);
    expect((error as Error).message).not.toContain("SECRET-MATERIAL");
  });
});
