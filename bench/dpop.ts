/**
 * The load generator's device keys: sessions are bound to a key (lib/auth/dpop.ts), so every
 * benchmarked sign-in and refresh carries a DPoP proof, signed here synchronously (autocannon
 * builds requests in synchronous callbacks) with node:crypto. Client-side work: it costs the
 * server nothing, and the server's CPU is what the benchmark reads.
 */
import { type KeyObject, generateKeyPairSync, randomBytes, sign } from "node:crypto";

/**
 * The public origin the benchmarked servers are configured with (their APP_URL): a proof names
 * it in `htu`, as a browser behind a load balancer would, whichever port the request goes to.
 */
export const BENCH_APP_URL = "http://localhost:3000";

export type BenchKey = {
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
  nonce: string | null;
};

/** A new P-256 key, as a browser makes one at sign-in. */
export function createBenchKey(): BenchKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const { kty, crv, x, y } = publicKey.export({ format: "jwk" });
  return { privateKey, jwk: { kty, crv, x, y }, nonce: null };
}

/**
 * A proof for `method url` by `key` with its last nonce; `htu` names `url`'s path on
 * BENCH_APP_URL.
 *
 * @example
 * headers.dpop = signBenchProof(key, "POST", `${server.url}/api/auth/refresh`);
 */
export function signBenchProof(
  key: BenchKey,
  method: string,
  url: string,
  claims: Record<string, unknown> = {},
): string {
  const target = new URL(url);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = encode({ alg: "ES256", typ: "dpop+jwt", jwk: key.jwk });
  const payload = encode({
    htm: method,
    htu: `${BENCH_APP_URL}${target.pathname}`,
    iat: Math.floor(Date.now() / 1000),
    jti: randomBytes(16).toString("base64url"),
    ...(key.nonce !== null && { nonce: key.nonce }),
    ...claims,
  });
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), {
    key: key.privateKey,
    dsaEncoding: "ieee-p1363",
  });
  return `${header}.${payload}.${signature.toString("base64url")}`;
}

/** Keeps the `DPoP-Nonce` of an answer (autocannon's header record or a fetch Headers). */
export function learnBenchNonce(
  key: BenchKey,
  headers: Record<string, string | string[]> | Headers,
): void {
  const value =
    headers instanceof Headers
      ? headers.get("dpop-nonce")
      : Object.entries(headers).find(([name]) => name.toLowerCase() === "dpop-nonce")?.[1];
  const nonce = Array.isArray(value) ? value[0] : value;
  if (nonce) key.nonce = nonce;
}
