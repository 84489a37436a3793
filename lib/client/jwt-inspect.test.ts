import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { type PublicJwk, findJwk, inspectJwt, verifyJwtSignature } from "./jwt-inspect";

async function makeToken(alg = "Ed25519") {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const token = await new SignJWT({ sid: "session-1", name: "Ada Lovelace ✓" })
    .setProtectedHeader({ alg, kid: "key-1", typ: "at+jwt" })
    .setSubject("user-1")
    .setIssuedAt(1_700_000_000)
    .setExpirationTime(1_700_000_300)
    .sign(privateKey);
  // The public JWK as the server's JWKS publishes it: key members plus kid, alg and use.
  const jwk = { ...(await exportJWK(publicKey)), kid: "key-1", alg, use: "sig" } as PublicJwk;
  return { token, jwk };
}

describe("inspectJwt", () => {
  it("decodes header and payload (UTF-8 included) and keeps the signature as sent", async () => {
    const { token } = await makeToken();
    const decoded = inspectJwt(token)!;
    expect(decoded.header).toEqual({ alg: "Ed25519", kid: "key-1", typ: "at+jwt" });
    expect(decoded.payload).toMatchObject({
      sub: "user-1",
      sid: "session-1",
      name: "Ada Lovelace ✓",
      iat: 1_700_000_000,
      exp: 1_700_000_300,
    });
    expect(decoded.signature).toBe(token.split(".")[2]);
    expect(decoded.token).toBe(token);
  });

  it.each(["", "a.b", "a.b.c.d", "!!.e30.sig", "e30.e30.", "WzFd.e30.sig", "e30.bm90IGpzb24.sig"])(
    "returns null for %j",
    (token) => {
      expect(inspectJwt(token)).toBeNull();
    },
  );
});

describe("findJwk", () => {
  it("finds the key by kid and says where it is in the set", () => {
    const jwks = {
      keys: [
        { kty: "OKP", kid: "old" },
        { kty: "OKP", kid: "key-1", x: "x" },
      ],
    };
    expect(findJwk(jwks, "key-1")).toEqual({ key: jwks.keys[1], index: 1, total: 2 });
    // The document's own object, every time: the inspector's card keys an effect on it.
    expect(findJwk(jwks, "key-1")?.key).toBe(jwks.keys[1]);
    expect(findJwk({ keys: [{ kid: "no kty" }, jwks.keys[1]] }, "key-1")?.total).toBe(1);
    expect(findJwk(jwks, "missing")).toBeNull();
    expect(findJwk(null, "key-1")).toBeNull();
    expect(findJwk(jwks, 42)).toBeNull();
  });
});

describe("verifyJwtSignature", () => {
  it.each(["ES256", "Ed25519", "RS256"])(
    "accepts an %s signature with the signer's public key",
    async (alg) => {
      const { token, jwk } = await makeToken(alg);
      expect(await verifyJwtSignature(inspectJwt(token)!, jwk)).toBe(true);
    },
  );

  it("accepts a key published without alg (older Ed25519 JWKS)", async () => {
    const { token, jwk } = await makeToken();
    const { alg: _alg, ...withoutAlg } = jwk;
    expect(await verifyJwtSignature(inspectJwt(token)!, withoutAlg)).toBe(true);
  });

  it("refuses a token whose header names another algorithm than the key's", async () => {
    const { token, jwk } = await makeToken("ES256");
    const [, payload, signature] = token.split(".");
    const header = Buffer.from('{"alg":"ES384","kid":"key-1"}').toString("base64url");
    expect(await verifyJwtSignature(inspectJwt(`${header}.${payload}.${signature}`)!, jwk)).toBe(
      false,
    );
    const es = await makeToken("ES256");
    expect(await verifyJwtSignature(inspectJwt(es.token)!, { ...es.jwk, alg: "Ed25519" })).toBe(
      false,
    );
  });

  it.each(["ES256", "Ed25519"])("rejects a tampered %s payload and another key", async (alg) => {
    const { token, jwk } = await makeToken(alg);
    const [header, , signature] = token.split(".");
    const forged = `${header}.${Buffer.from('{"sub":"mallory"}').toString("base64url")}.${signature}`;
    expect(await verifyJwtSignature(inspectJwt(forged)!, jwk)).toBe(false);
    const other = await makeToken(alg);
    expect(await verifyJwtSignature(inspectJwt(token)!, other.jwk)).toBe(false);
    expect(await verifyJwtSignature(inspectJwt(token)!, { kty: "RSA" })).toBe(false);
  });
});
