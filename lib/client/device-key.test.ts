import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createDeviceKey, createMemoryKeyStore } from "./device-key";

const ORIGIN = "https://app.example";
const answer = (nonce?: string) =>
  new Response(null, { status: 200, headers: nonce ? { "DPoP-Nonce": nonce } : {} });

function deviceKey() {
  const store = createMemoryKeyStore();
  return { store, key: createDeviceKey({ store, origin: () => ORIGIN }) };
}

describe("the device key", () => {
  it("makes a non-extractable P-256 key and signs RFC 9449 shaped proofs with it", async () => {
    const { key } = deviceKey();
    const prepared = (await key.prepare())!;
    expect(prepared.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey("jwk", prepared.privateKey)).rejects.toThrow();
    expect(prepared.publicJwk).not.toHaveProperty("d");

    const proof = (await key.proof("POST", "/api/auth/login?x=1", prepared))!;
    const { payload, protectedHeader } = await jwtVerify(proof.jwt, EmbeddedJWK, {
      typ: "dpop+jwt",
      algorithms: ["ES256"],
    });
    expect(payload).toMatchObject({ htm: "POST", htu: `${ORIGIN}/api/auth/login`, jti: proof.jti });
    expect(payload).not.toHaveProperty("nonce");
    expect(proof.jkt).toBe(await calculateJwkThumbprint(protectedHeader.jwk!, "sha256"));
  });

  it("signs nothing until a sign-in stored a key, then with that key and the answer's nonce", async () => {
    const { key } = deviceKey();
    expect(await key.proof("POST", "/api/auth/refresh")).toBeNull();
    const prepared = (await key.prepare())!;
    const atLogin = (await key.proof("POST", "/api/auth/login", prepared))!;
    await key.adopt(prepared, answer("1.first"));
    const refresh = (await key.proof("POST", "/api/auth/refresh"))!;
    expect(refresh.jkt).toBe(atLogin.jkt);
    expect(refresh.jti).not.toBe(atLogin.jti);
    const { payload } = await jwtVerify(refresh.jwt, EmbeddedJWK);
    expect(payload.nonce).toBe("1.first");
    await key.rememberNonce(answer("2.second"));
    const next = await jwtVerify((await key.proof("POST", "/api/auth/refresh"))!.jwt, EmbeddedJWK);
    expect(next.payload.nonce).toBe("2.second");
  });

  it("shares the stored key (and its newest nonce) with another tab's instance", async () => {
    const { store, key } = deviceKey();
    const prepared = (await key.prepare())!;
    await key.adopt(prepared, answer("1.first"));
    await key.rememberNonce(answer("2.second"));
    const otherTab = createDeviceKey({ store, origin: () => ORIGIN });
    const proof = (await otherTab.proof("POST", "/api/auth/refresh"))!;
    expect(proof.jkt).toBe((await key.proof("POST", "/api/auth/refresh"))!.jkt);
    expect((await jwtVerify(proof.jwt, EmbeddedJWK)).payload.nonce).toBe("2.second");
  });

  it("forgets the key at sign-out, and a new sign-in gets a different one", async () => {
    const { key } = deviceKey();
    const first = (await key.prepare())!;
    await key.adopt(first, answer());
    const before = (await key.proof("POST", "/api/auth/refresh"))!.jkt;
    await key.remove();
    expect(await key.proof("POST", "/api/auth/refresh")).toBeNull();
    await key.adopt((await key.prepare())!, answer());
    expect((await key.proof("POST", "/api/auth/refresh"))!.jkt).not.toBe(before);
  });

  it("without WebCrypto makes no key (the server then refuses the sign-in, cleanly)", async () => {
    const key = createDeviceKey({ subtle: null, store: createMemoryKeyStore() });
    expect(await key.prepare()).toBeNull();
    expect(await key.proof("POST", "/api/auth/refresh")).toBeNull();
  });

  it("stamps iat with the server's clock once it answered, whatever this device's clock says", async () => {
    let monotonicMs = 0;
    const store = createMemoryKeyStore();
    const key = createDeviceKey({
      store,
      origin: () => ORIGIN,
      now: () => Date.parse("2030-01-01T00:10:00Z"), // ten minutes fast
      monotonic: () => monotonicMs,
    });
    const prepared = (await key.prepare())!;
    const server = new Response(null, { headers: { date: "Tue, 01 Jan 2030 00:00:00 GMT" } });
    await key.adopt(prepared, server);
    monotonicMs += 90_000;
    const { payload } = await jwtVerify(
      (await key.proof("POST", "/api/auth/refresh"))!.jwt,
      EmbeddedJWK,
    );
    expect(payload.iat).toBe(Date.parse("2030-01-01T00:01:30Z") / 1000);
  });
});
