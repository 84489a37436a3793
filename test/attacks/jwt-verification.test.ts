/**
 * Attack suite: JWT verification (RFC 8725, the OWASP JWT cheat sheet, and the
 * attack modes of jwt_tool and PortSwigger's JWT labs). Every forged token is
 * sent over the real route handler; each must answer 401 with one generic
 * message, never a 500, and never make the server fetch anything.
 */
import { createHmac } from "node:crypto";
import { type CryptoKey, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as register } from "@/app/api/auth/register/route";
import { GET as me } from "@/app/api/me/route";
import { DEFAULT_ACCESS_TOKEN_ALG, getSigningKeys } from "@/lib/auth/keys";
import { APP_ORIGIN, TestClient, uniqueEmail, useTestDatabase } from "@/test/harness";

const b64url = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

let ourKey: CryptoKey;
let ourKid: string;
/** The algorithm our signing key is configured with (ES256 by default; see lib/auth/keys.ts). */
let ourAlg: string;
/**
 * The suite runs with whatever ACCESS_TOKEN_ALG the environment names, so
 * `ACCESS_TOKEN_ALG=Ed25519 npx vitest run test/attacks` attacks that algorithm.
 */
const CONFIGURED_ALG = process.env.ACCESS_TOKEN_ALG || DEFAULT_ACCESS_TOKEN_ALG;
let attackerKey: CryptoKey;
let attackerPublicJwk: Record<string, unknown>;
let validToken: string;
let refreshToken: string;
let claims: Record<string, unknown>;
const fetchSpy = vi.spyOn(globalThis, "fetch");

beforeAll(async () => {
  await useTestDatabase();
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail("jwt"), password: "correct horse battery" },
  });
  validToken = res.body.accessToken;
  refreshToken = client.refreshToken!;
  claims = JSON.parse(Buffer.from(validToken.split(".")[1]!, "base64url").toString());
  // These tests forge tokens, not proofs: unbound copies of the claims, which go as Bearer
  // (test/attacks/access-token-binding.test.ts attacks the binding).
  delete claims.cnf;
  const { signer } = await getSigningKeys();
  ourKey = signer.key;
  ourKid = signer.kid;
  ourAlg = signer.alg;
  expect(ourAlg).toBe(CONFIGURED_ALG);
  const attacker = await generateKeyPair(ourAlg, { extractable: true });
  attackerKey = attacker.privateKey;
  attackerPublicJwk = { ...(await exportJWK(attacker.publicKey)) };
  fetchSpy.mockClear();
});

afterAll(() => {
  // The server never reached out to a URL a token named (jku, x5u, …).
  expect(fetchSpy).not.toHaveBeenCalled();
  fetchSpy.mockRestore();
});

/** Web Crypto's name for our algorithm (ECDSA's output is already JWS's raw r‖s form). */
const webCryptoParams = () =>
  ({
    ES256: { name: "ECDSA", hash: "SHA-256" },
    Ed25519: { name: "Ed25519" },
    RS256: { name: "RSASSA-PKCS1-v1_5" },
  })[ourAlg]!;

/**
 * A compact JWS signed by hand with the key's own algorithm, whatever the
 * header claims, so any header (crit, jku, alg none, another alg…) can be sent.
 */
async function signRaw(key: CryptoKey, header: object, payload: object): Promise<string> {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = await crypto.subtle.sign(
    webCryptoParams(),
    key,
    new TextEncoder().encode(input),
  );
  return `${input}.${Buffer.from(signature).toString("base64url")}`;
}

const header = (extra: object = {}) => ({ alg: ourAlg, kid: ourKid, typ: "at+jwt", ...extra });
const payload = (extra: object = {}) => {
  const now = Math.floor(Date.now() / 1000);
  return { ...claims, iat: now, exp: now + 300, jti: crypto.randomUUID(), ...extra };
};

async function expectRejected(token: string, code = "token_invalid") {
  const res = await new TestClient().call(me, "/api/me", {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe(code);
  if (code === "token_invalid")
    expect(res.body.error.message).toBe("The access token is not valid.");
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
}

describe("control: the suite's forging helper makes tokens the server accepts", () => {
  it("accepts a hand-signed token with our key and correct claims", async () => {
    const token = await signRaw(ourKey, header(), payload());
    const res = await new TestClient().call(me, "/api/me", { bearer: token });
    expect(res.status).toBe(200);
  });
});

describe("alg: none", () => {
  for (const alg of ["none", "None", "NONE", "nOnE"]) {
    it(`refuses alg "${alg}" with an empty signature`, async () => {
      await expectRejected(`${b64url(header({ alg }))}.${b64url(payload())}.`);
    });
  }
  it('refuses alg "none" with our real signature left attached', async () => {
    const [, , signature] = validToken.split(".");
    await expectRejected(`${b64url(header({ alg: "none" }))}.${b64url(payload())}.${signature}`);
  });
});

describe("signatures", () => {
  it("refuses an empty signature", async () => {
    const [h, p] = validToken.split(".");
    await expectRejected(`${h}.${p}.`);
  });
  it("refuses a truncated signature", async () => {
    await expectRejected(validToken.slice(0, -10));
  });
  it("refuses a tampered signature", async () => {
    const [h, p, s] = validToken.split(".");
    const flipped = `${s![0] === "A" ? "B" : "A"}${s!.slice(1)}`;
    await expectRejected(`${h}.${p}.${flipped}`);
  });
  it("refuses a tampered payload under the original signature", async () => {
    const [h, , s] = validToken.split(".");
    await expectRejected(`${h}.${b64url(payload({ sub: crypto.randomUUID() }))}.${s}`);
  });
  it("refuses a token signed by a key that is not ours, under our kid", async () => {
    await expectRejected(await signRaw(attackerKey, header(), payload()));
  });
});

describe("algorithm confusion", () => {
  const hmac = (alg: string, secret: string | Buffer, h: object, p: object) => {
    const input = `${b64url(h)}.${b64url(p)}`;
    const digest = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[alg]!;
    return `${input}.${createHmac(digest, secret).update(input).digest("base64url")}`;
  };
  it("refuses HS256 signed with our public key (x), as jwt_tool's key confusion does", async () => {
    const { publicJwks } = await getSigningKeys();
    const x = String(publicJwks.keys[0]!.x);
    await expectRejected(hmac("HS256", x, header({ alg: "HS256" }), payload()));
    await expectRejected(
      hmac("HS256", Buffer.from(x, "base64url"), header({ alg: "HS256" }), payload()),
    );
  });
  it("refuses HS256 signed with the JWKS document itself", async () => {
    const { publicJwks } = await getSigningKeys();
    await expectRejected(
      hmac("HS256", JSON.stringify(publicJwks.keys[0]), header({ alg: "HS256" }), payload()),
    );
  });
  const allAlgs = ["HS384", "HS512", "RS256", "ES256", "ES384", "Ed25519", "EdDSA", "PS256"];
  for (const alg of allAlgs.filter((a) => a !== CONFIGURED_ALG)) {
    it(`refuses alg ${alg} even with a plausible signature`, async () => {
      const forged = alg.startsWith("HS")
        ? hmac(alg, "secret", header({ alg }), payload())
        : await signRaw(ourKey, header({ alg }), payload());
      await expectRejected(forged);
    });
  }
});

describe("key injection through the header", () => {
  it("ignores an embedded jwk (the attacker's key)", async () => {
    await expectRejected(await signRaw(attackerKey, header({ jwk: attackerPublicJwk }), payload()));
  });
  it("ignores a jku pointing to the attacker's JWKS, and never fetches it", async () => {
    await expectRejected(
      await signRaw(attackerKey, header({ jku: "http://127.0.0.1:9/jwks.json" }), payload()),
    );
  });
  it("ignores an x5u pointing to the attacker's certificate", async () => {
    await expectRejected(
      await signRaw(attackerKey, header({ x5u: "http://127.0.0.1:9/cert.pem" }), payload()),
    );
  });
  for (const kid of ["../../../../../dev/null", "' OR '1'='1", `${"k".repeat(2000)}`, "", "null"]) {
    it(`refuses kid injection ${JSON.stringify(kid.slice(0, 24))}`, async () => {
      await expectRejected(await signRaw(attackerKey, header({ kid }), payload()));
    });
  }
  it("refuses a token with no kid", async () => {
    const { kid: _kid, ...noKid } = header();
    await expectRejected(await signRaw(ourKey, noKid, payload()));
  });
});

describe("critical headers", () => {
  it("refuses an unknown crit extension, even when signed by our key", async () => {
    await expectRejected(
      await signRaw(ourKey, header({ crit: ["exp-ext"], "exp-ext": 1 }), payload()),
    );
  });
  it("refuses an unencoded payload (RFC 7797 b64: false), even when signed by our key", async () => {
    const h = b64url(header({ b64: false, crit: ["b64"] }));
    const raw = JSON.stringify(payload());
    const signature = await crypto.subtle.sign(
      webCryptoParams(),
      ourKey,
      new TextEncoder().encode(`${h}.${raw}`),
    );
    await expectRejected(`${h}.${raw}.${Buffer.from(signature).toString("base64url")}`);
  });
});

describe("time claims (signed by our key)", () => {
  const now = () => Math.floor(Date.now() / 1000);
  it("answers an expired token with token_expired", async () => {
    await expectRejected(
      await signRaw(ourKey, header(), payload({ iat: now() - 600, exp: now() - 300 })),
      "token_expired",
    );
  });
  it("refuses a token that is not valid yet (nbf in the future)", async () => {
    await expectRejected(await signRaw(ourKey, header(), payload({ nbf: now() + 600 })));
  });
  it("refuses a token issued in the future (iat ahead of the clock)", async () => {
    await expectRejected(
      await signRaw(ourKey, header(), payload({ iat: now() + 600, exp: now() + 900 })),
    );
  });
  it("refuses a token without exp", async () => {
    const { exp: _exp, ...noExp } = payload();
    await expectRejected(await signRaw(ourKey, header(), noExp));
  });
  it("refuses a token without iat, sub, sid or jti", async () => {
    for (const claim of ["iat", "sub", "sid", "jti"]) {
      const incomplete: Record<string, unknown> = payload();
      delete incomplete[claim];
      await expectRejected(await signRaw(ourKey, header(), incomplete));
    }
  });
  it("refuses exp given as a string", async () => {
    await expectRejected(await signRaw(ourKey, header(), payload({ exp: String(now() + 300) })));
  });
});

describe("issuer, audience and type (signed by our key)", () => {
  it("refuses a wrong issuer", async () => {
    await expectRejected(await signRaw(ourKey, header(), payload({ iss: "https://evil.example" })));
  });
  it("refuses a wrong audience, and an audience list without ours", async () => {
    await expectRejected(
      await signRaw(ourKey, header(), payload({ aud: "https://other.example" })),
    );
    await expectRejected(
      await signRaw(ourKey, header(), payload({ aud: ["https://other.example"] })),
    );
  });
  for (const typ of ["JWT", "jwt", "refresh+jwt", "id_token"]) {
    it(`refuses typ ${typ}: other tokens of ours never pass as access tokens`, async () => {
      await expectRejected(await signRaw(ourKey, header({ typ }), payload()));
    });
  }
  it("refuses a token without typ", async () => {
    const { typ: _typ, ...noTyp } = header();
    await expectRejected(await signRaw(ourKey, noTyp, payload()));
  });
  it("refuses a refresh token presented as an access token", async () => {
    await expectRejected(refreshToken);
  });
  it(`accepts only the audience ${APP_ORIGIN}, the issuer it names`, () => {
    expect(claims.aud).toBe(APP_ORIGIN);
    expect(claims.iss).toBe(APP_ORIGIN);
  });
});

describe("malformed compact serialisations", () => {
  const cases: Record<string, () => string> = {
    "one segment": () => "abc",
    "two segments": () => "abc.def",
    "four segments": () => `${validToken}.extra`,
    "empty segments": () => "..",
    "JWE-shaped (five segments)": () => "a.b.c.d.e",
    "header not base64url": () => `!!!.${validToken.split(".")[1]}.${validToken.split(".")[2]}`,
    "header not JSON": () => `${b64url("not json")}.${b64url(payload())}.sig`,
    "header a JSON array": () => `${b64url([1, 2])}.${b64url(payload())}.sig`,
    "payload null": () => `${b64url(header())}.${b64url("null")}.sig`,
    "payload a JSON string": () => `${b64url(header())}.${b64url('"sub"')}.sig`,
    "unicode in the token": () => `${validToken.slice(0, 20)}\u00e9${validToken.slice(21)}`,
    "oversized (100 kB)": () =>
      `${b64url(header())}.${b64url(payload({ pad: "x".repeat(100_000) }))}.sig`,
  };
  for (const [name, token] of Object.entries(cases)) {
    it(`refuses ${name}`, async () => {
      await expectRejected(token());
    });
  }
});
