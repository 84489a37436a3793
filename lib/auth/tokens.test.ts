/**
 * The verified-token cache in lib/auth/tokens.ts skips only the signature
 * check of a byte-identical token that already passed full verification. These
 * tests pin what must never change because of it: expiry to the second,
 * tampered tokens, key removal, and the size bound.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { generateSigningJwk } from "@/lib/auth/keys";
import {
  clearAccessTokenCache,
  getAccessTokenCacheStats,
  signAccessToken,
  verifyAccessToken,
} from "@/lib/auth/tokens";
import { forgetSigningKeys } from "@/lib/dev/process-state";
import { setEnv, useTestDatabase } from "@/test/harness";

type Jwk = Awaited<ReturnType<typeof generateSigningJwk>>;

let keyA: Jwk;
let keyB: Jwk;
let restoreEnv: () => void = () => {};

/** Switches configuration the way a restart with new environment would. */
function configure(values: { keys?: Jwk[]; cacheSize?: number; appUrl?: string }) {
  restoreEnv();
  restoreEnv = setEnv({
    AUTH_SIGNING_KEYS: values.keys ? JSON.stringify({ keys: values.keys }) : undefined,
    ACCESS_TOKEN_CACHE_SIZE: values.cacheSize === undefined ? undefined : String(values.cacheSize),
    ...(values.appUrl && { APP_URL: values.appUrl }),
  });
  forgetSigningKeys();
}

const subject = () => ({ userId: crypto.randomUUID(), sessionId: crypto.randomUUID() });
const signToken = async () => (await signAccessToken(subject())).accessToken;

/** Counts real Ed25519 signature checks (jose calls Web Crypto for each). */
const signatureChecks = vi.spyOn(globalThis.crypto.subtle, "verify");

beforeAll(async () => {
  await useTestDatabase();
  [keyA, keyB] = [await generateSigningJwk(), await generateSigningJwk()];
});
beforeEach(() => {
  configure({ keys: [keyA] });
  clearAccessTokenCache();
  signatureChecks.mockClear();
});
afterEach(() => vi.useRealTimers());
afterAll(() => {
  restoreEnv();
  forgetSigningKeys();
  clearAccessTokenCache();
  signatureChecks.mockRestore();
});

describe("verified-token cache", () => {
  it("checks a token's signature once, then serves the identical token from the cache", async () => {
    const token = await signToken();
    const first = await verifyAccessToken(token);
    const second = await verifyAccessToken(token);
    expect(second).toEqual(first);
    expect(signatureChecks).toHaveBeenCalledTimes(1);
    expect(getAccessTokenCacheStats()).toMatchObject({ entries: 1, hits: 1, misses: 1 });
    expect(Object.isFrozen(second)).toBe(true);
  });

  it("still expires a cached token at the same second as an uncached one", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const issuedAtMs = Math.floor(Date.now() / 1000) * 1000;
    vi.setSystemTime(issuedAtMs);
    const token = await signToken();
    await verifyAccessToken(token); // now cached
    const { exp } = await verifyAccessToken(token);
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => "valid",
        (error: { code: string }) => error.code,
      );

    // Every second around exp, and a clock that jumped back before iat: the
    // cache answers exactly what full verification answers.
    const moments = [-2, ...Array.from({ length: 6 }, (_, i) => exp - 3 + i)];
    for (const second of moments) {
      vi.setSystemTime(second < 0 ? issuedAtMs + second * 1000 : second * 1000 + 500);
      configure({ keys: [keyA], cacheSize: 0 });
      const uncached = await outcome(verifyAccessToken(token));
      configure({ keys: [keyA] });
      clearAccessTokenCache();
      vi.setSystemTime(issuedAtMs);
      await verifyAccessToken(token);
      vi.setSystemTime(second < 0 ? issuedAtMs + second * 1000 : second * 1000 + 500);
      const hitsBefore = getAccessTokenCacheStats().hits;
      const cached = await outcome(verifyAccessToken(token));
      expect(getAccessTokenCacheStats().hits).toBe(hitsBefore + 1);
      expect({ second, cached }).toEqual({ second, cached: uncached });
    }
    // With 1 s of clock tolerance: valid through exp, expired from exp + 1.
    vi.setSystemTime(exp * 1000 + 999);
    await expect(verifyAccessToken(token)).resolves.toBeDefined();
    vi.setSystemTime((exp + 1) * 1000);
    await expect(verifyAccessToken(token)).rejects.toMatchObject({ code: "token_expired" });
    // The expired entry is gone, not kept around.
    expect(getAccessTokenCacheStats().entries).toBe(0);
  });

  it("never serves a tampered token from the cache", async () => {
    const token = await signToken();
    await verifyAccessToken(token);
    const [h, p, s] = token.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    const reencode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const tampered = [
      `${h}.${p}.${s[0] === "A" ? "B" : "A"}${s.slice(1)}`, // signature bit flipped
      `${h}.${reencode({ ...claims, sub: crypto.randomUUID() })}.${s}`, // another user
      `${h}.${reencode({ ...claims, exp: claims.exp + 3600 })}.${s}`, // longer life
      `${h}.${p}.${s.slice(0, -2)}`, // truncated signature
      `${h}.${p}.`, // no signature
      `${reencode({ alg: "none", typ: "at+jwt" })}.${p}.`, // alg none, same payload
      `${token} `, // trailing whitespace (jose's decoder alone would skip it)
      `${token}.${s}`, // an extra part
    ];
    for (const forged of tampered) {
      await expect(verifyAccessToken(forged)).rejects.toMatchObject({ code: "token_invalid" });
    }
    expect(getAccessTokenCacheStats().hits).toBe(0);
    // Failures are never remembered; the genuine token still is.
    expect(getAccessTokenCacheStats().entries).toBe(1);
    await expect(verifyAccessToken(token)).resolves.toMatchObject({ sub: claims.sub });
  });

  it("forgets every cached token when the key set changes, so a removed key stops at once", async () => {
    const token = await signToken(); // signed by key A
    configure({ keys: [keyB, keyA] });
    await verifyAccessToken(token);
    await verifyAccessToken(token);
    expect(getAccessTokenCacheStats()).toMatchObject({ entries: 1, hits: 1 });

    configure({ keys: [keyB] }); // key A retired
    await expect(verifyAccessToken(token)).rejects.toMatchObject({ code: "token_invalid" });
    expect(getAccessTokenCacheStats()).toMatchObject({ entries: 0, hits: 0 });

    // Any new key set starts empty and verifies in full again.
    signatureChecks.mockClear();
    configure({ keys: [keyA] });
    await verifyAccessToken(token);
    expect(signatureChecks).toHaveBeenCalledTimes(1);
  });

  it("forgets cached tokens when the issuer changes", async () => {
    const token = await signToken();
    await verifyAccessToken(token);
    configure({ keys: [keyA], appUrl: "https://elsewhere.example" });
    await expect(verifyAccessToken(token)).rejects.toMatchObject({ code: "token_invalid" });
  });

  it("holds at most ACCESS_TOKEN_CACHE_SIZE tokens, evicting the least recently used", async () => {
    configure({ keys: [keyA], cacheSize: 3 });
    const [t1, t2, t3, t4] = await Promise.all([
      signToken(),
      signToken(),
      signToken(),
      signToken(),
    ]);
    for (const token of [t1, t2, t3]) await verifyAccessToken(token!);
    await verifyAccessToken(t1!); // t1 is now the most recently used; t2 the least
    await verifyAccessToken(t4!);
    expect(getAccessTokenCacheStats()).toMatchObject({ entries: 3, maxEntries: 3, misses: 4 });

    signatureChecks.mockClear();
    await verifyAccessToken(t1!); // kept
    await verifyAccessToken(t4!); // kept
    expect(signatureChecks).not.toHaveBeenCalled();
    await verifyAccessToken(t2!); // evicted: verified in full again
    expect(signatureChecks).toHaveBeenCalledTimes(1);
    expect(getAccessTokenCacheStats().entries).toBe(3);

    // Many more tokens than the bound never grow it.
    for (let i = 0; i < 20; i++) await verifyAccessToken(await signToken());
    expect(getAccessTokenCacheStats().entries).toBe(3);
  });

  it("verifies every request in full when ACCESS_TOKEN_CACHE_SIZE=0", async () => {
    configure({ keys: [keyA], cacheSize: 0 });
    const token = await signToken();
    await verifyAccessToken(token);
    await verifyAccessToken(token);
    expect(signatureChecks).toHaveBeenCalledTimes(2);
    expect(getAccessTokenCacheStats()).toMatchObject({ entries: 0, hits: 0 });
  });
});
