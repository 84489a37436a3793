import "server-only";

/**
 * Signing keys for access tokens.
 *
 * Access tokens are signed with Ed25519 (JWS alg `Ed25519`, RFC 9864; the
 * older polymorphic name is `EdDSA`). Asymmetric, so anything that only
 * verifies (another service, the JWKS endpoint) never holds a secret that can
 * mint tokens; Ed25519 signatures are deterministic (no per-signature nonce to
 * get wrong, unlike ECDSA) and small.
 *
 * Where keys come from:
 * - AUTH_SIGNING_KEYS: a JWKS of private keys `{"keys":[…]}`. The FIRST key
 *   signs; every key verifies. Rotation without logging anyone out: add the new
 *   key second (all instances now accept it), then move it first (it signs),
 *   then drop the old one once ACCESS_TOKEN_TTL_SECONDS has passed.
 * - Otherwise, on a local run only, a key generated once and kept in
 *   DATA_DIR/signing-keys.json (so restarts keep tokens valid). A public
 *   deployment refuses to start without AUTH_SIGNING_KEYS (see lib/env.ts).
 */
import fs from "node:fs/promises";
import path from "node:path";
import {
  type CryptoKey,
  type JWK,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
} from "jose";
import { z } from "zod";
import { ConfigError, getEnv } from "@/lib/env";

export const ACCESS_TOKEN_ALG = "Ed25519";

const privateJwkSchema = z.looseObject({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1).max(128).optional(),
});
const jwksSchema = z.object({ keys: z.array(privateJwkSchema).min(1) });

export type SigningKeySet = {
  signer: { kid: string; key: CryptoKey };
  /** Every key that verifies, by `kid`. */
  verifiers: ReadonlyMap<string, CryptoKey>;
  /** The public half of every key, for /.well-known/jwks.json. */
  publicJwks: { keys: JWK[] };
};

/**
 * Creates a fresh private Ed25519 JWK with a thumbprint `kid`.
 *
 * @example
 * const jwk = await generateSigningJwk();
 * JSON.stringify({ keys: [jwk] }); // a value for AUTH_SIGNING_KEYS
 */
export async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: ACCESS_TOKEN_ALG, use: "sig" };
}

async function readOrCreateDevKeys(dataDir: string): Promise<string> {
  const file = path.join(dataDir, "signing-keys.json");
  try {
    return await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const contents = JSON.stringify({ keys: [await generateSigningJwk()] }, null, 2);
  try {
    // `wx`: if another process (a second instance, a test worker) won the
    // race to create the file, keep theirs so everyone signs with one key.
    await fs.writeFile(file, contents, { flag: "wx", mode: 0o600 });
    console.info(
      `[auth] No AUTH_SIGNING_KEYS set: generated a development signing key in ${file}. ` +
        "Set AUTH_SIGNING_KEYS for any deployment.",
    );
    return contents;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return fs.readFile(file, "utf8");
  }
}

async function buildKeySet(serialized: string, source: string): Promise<SigningKeySet> {
  let parsed: z.infer<typeof jwksSchema>;
  try {
    parsed = jwksSchema.parse(JSON.parse(serialized));
  } catch {
    // Never echo the value: it is a private key.
    throw new ConfigError(
      `${source} is not a JWKS of private Ed25519 keys ({"keys":[{"kty":"OKP","crv":"Ed25519","x":…,"d":…}]}). ` +
        "Generate one with `npm run keys:generate`.",
    );
  }
  const verifiers = new Map<string, CryptoKey>();
  const publicKeys: JWK[] = [];
  let signer: SigningKeySet["signer"] | undefined;
  for (const jwk of parsed.keys) {
    const { d: _private, ...publicJwk } = jwk;
    const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
    if (verifiers.has(kid)) throw new ConfigError(`${source} lists kid "${kid}" twice.`);
    const publicKey = (await importJWK(
      { ...publicJwk, alg: ACCESS_TOKEN_ALG },
      ACCESS_TOKEN_ALG,
    )) as CryptoKey;
    verifiers.set(kid, publicKey);
    publicKeys.push({
      kty: "OKP",
      crv: "Ed25519",
      x: jwk.x,
      kid,
      alg: ACCESS_TOKEN_ALG,
      use: "sig",
    });
    if (!signer) {
      const privateKey = (await importJWK(
        { ...jwk, alg: ACCESS_TOKEN_ALG },
        ACCESS_TOKEN_ALG,
      )) as CryptoKey;
      signer = { kid, key: privateKey };
    }
  }
  if (!signer) throw new ConfigError(`${source} has no keys.`);
  return { signer, verifiers, publicJwks: { keys: publicKeys } };
}

const globalForKeys = globalThis as typeof globalThis & {
  __signingKeys?: { source: string; keys: Promise<SigningKeySet> };
};

/**
 * The process's signing keys, loaded once.
 *
 * @example
 * const { signer, verifiers } = await getSigningKeys();
 */
export function getSigningKeys(): Promise<SigningKeySet> {
  const env = getEnv();
  const source = env.AUTH_SIGNING_KEYS ? "AUTH_SIGNING_KEYS" : `${env.dataDir}/signing-keys.json`;
  const cached = globalForKeys.__signingKeys;
  if (cached?.source === source) return cached.keys;
  const keys = (async () => {
    if (env.AUTH_SIGNING_KEYS) return buildKeySet(env.AUTH_SIGNING_KEYS, "AUTH_SIGNING_KEYS");
    return buildKeySet(await readOrCreateDevKeys(env.dataDir), source);
  })();
  keys.catch(() => {
    if (globalForKeys.__signingKeys?.keys === keys) globalForKeys.__signingKeys = undefined;
  });
  globalForKeys.__signingKeys = { source, keys };
  return keys;
}

/** Forget loaded keys (tests switch key sets). */
export function resetSigningKeysForTests(): void {
  globalForKeys.__signingKeys = undefined;
}
