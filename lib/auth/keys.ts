import "server-only";

/**
 * Signing keys for access tokens.
 *
 * Algorithms (ACCESS_TOKEN_ALG, see lib/env.ts): `ES256` (ECDSA on P-256, the
 * default), `Ed25519` (JWS alg `Ed25519`, RFC 9864) and `RS256`. All three are
 * asymmetric, so whatever only verifies (another service, the JWKS endpoint)
 * never holds a secret that can mint tokens. ES256 is the default because it
 * is the one every mainstream JWT library verifies out of the box from a JWKS
 * (PyJWT, jsonwebtoken + jwks-rsa, golang-jwt, nimbus-jose-jwt); Ed25519 is
 * smaller and deterministic but several of those refuse it today; RS256 works
 * everywhere too but its signatures are 256 bytes and signing is slow.
 *
 * Every key carries its own `alg` (and `kid`). Verification is pinned per key:
 * a token's `kid` picks one of our keys and the token's `alg` must equal that
 * key's `alg`, so a set holding an ES256 and an Ed25519 key during a migration
 * still never lets a token choose how it is checked.
 *
 * Where keys come from:
 * - AUTH_SIGNING_KEYS: a JWKS of private keys `{"keys":[…]}`. The FIRST key
 *   signs; every key verifies. Rotation without logging anyone out (also from
 *   one algorithm to another): add the new key second (all instances now
 *   accept it), then move it first (it signs), then drop the old one once
 *   ACCESS_TOKEN_TTL_SECONDS has passed.
 * - Otherwise, on a local run only, a key generated once and kept in
 *   DATA_DIR/signing-keys.json (so restarts keep tokens valid). A public
 *   deployment refuses to start without AUTH_SIGNING_KEYS (see lib/env.ts).
 *   When that file's signing key is of another algorithm than ACCESS_TOKEN_ALG
 *   (a development key made by an older version was Ed25519), the file is
 *   rotated in place: a new key of the configured algorithm is put first, the
 *   old keys stay behind it, so tokens already issued keep verifying.
 */
import { hkdfSync } from "node:crypto";
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
import { getLogger } from "@/lib/ops/logger";

export const SIGNING_ALGORITHMS = ["ES256", "Ed25519", "RS256"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
/** What a local run generates when ACCESS_TOKEN_ALG is unset. */
export const DEFAULT_ACCESS_TOKEN_ALG: SigningAlgorithm = "ES256";
const RSA_MODULUS_BITS = 2048;

const kid = z.string().min(1).max(128).optional();
const alg = z.string().optional();
const privateJwkSchema = z.discriminatedUnion("kty", [
  z.looseObject({
    kty: z.literal("EC"),
    crv: z.literal("P-256"),
    x: z.string().min(1),
    y: z.string().min(1),
    d: z.string().min(1),
    kid,
    alg,
  }),
  z.looseObject({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string().min(1),
    d: z.string().min(1),
    kid,
    alg,
  }),
  z.looseObject({
    kty: z.literal("RSA"),
    n: z.string().min(1),
    e: z.string().min(1),
    d: z.string().min(1),
    p: z.string().min(1),
    q: z.string().min(1),
    dp: z.string().min(1),
    dq: z.string().min(1),
    qi: z.string().min(1),
    kid,
    alg,
  }),
]);
type PrivateJwk = z.infer<typeof privateJwkSchema>;
const jwksSchema = z.object({ keys: z.array(privateJwkSchema).min(1) });

/** The one algorithm a key type can sign with here (the JWK's own `alg`, if any, must agree). */
const ALG_FOR_KTY: Record<PrivateJwk["kty"], SigningAlgorithm> = {
  EC: "ES256",
  OKP: "Ed25519",
  RSA: "RS256",
};

export type VerificationKey = { alg: SigningAlgorithm; key: CryptoKey };

export type SigningKeySet = {
  signer: { kid: string; alg: SigningAlgorithm; key: CryptoKey };
  /** Every key that verifies, by `kid`, each pinned to its own algorithm. */
  verifiers: ReadonlyMap<string, VerificationKey>;
  /** The algorithms of `verifiers` (what jose may accept at all). */
  algorithms: SigningAlgorithm[];
  /** The public half of every key, with `kid`, `alg` and `use`, for /.well-known/jwks.json. */
  publicJwks: { keys: JWK[] };
  /**
   * A secret per key, by `kid`, derived from its private part (HKDF-SHA256, `deriveMacKey`), for
   * the server's own HMAC-signed values (lib/auth/device-cookie.ts): no second secret to
   * configure, and nothing a holder of the public JWKS could verify (so never mistaken for a
   * token by another service). The signer's `kid` names the one that signs.
   */
  macKeys: ReadonlyMap<string, Uint8Array>;
};

/** HKDF-SHA256 of a private key's `d`, for one purpose: 32 bytes no public value reveals. */
function deriveMacKey(d: string): Uint8Array {
  return new Uint8Array(
    hkdfSync("sha256", Buffer.from(d, "base64url"), "", "jwt-silent-refresh server mac v1", 32),
  );
}

/**
 * Creates a fresh private JWK for `alg` with a thumbprint `kid`.
 *
 * @example
 * const jwk = await generateSigningJwk("ES256");
 * JSON.stringify({ keys: [jwk] }); // a value for AUTH_SIGNING_KEYS
 */
export async function generateSigningJwk(
  alg: SigningAlgorithm = DEFAULT_ACCESS_TOKEN_ALG,
): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === "RS256" && { modulusLength: RSA_MODULUS_BITS }),
  });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg, use: "sig" };
}

/** The public members of a private JWK (RFC 7518 §6), nothing else. */
function publicPart(jwk: PrivateJwk): JWK {
  switch (jwk.kty) {
    case "EC":
      return { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y };
    case "OKP":
      return { kty: "OKP", crv: jwk.crv, x: jwk.x };
    case "RSA":
      return { kty: "RSA", n: jwk.n, e: jwk.e };
  }
}

const devKeyFile = (dataDir: string) => path.join(dataDir, "signing-keys.json");

async function writeFileAtomically(file: string, contents: string): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(temp, contents, { mode: 0o600 });
  await fs.rename(temp, file);
}

/**
 * The development key set in DATA_DIR, created on first use, and rotated in
 * place when its signing key is of another algorithm than `alg` (see the
 * module comment): the new key goes first, the old ones stay to verify.
 */
async function readOrCreateDevKeys(dataDir: string, alg: SigningAlgorithm): Promise<string> {
  const file = devKeyFile(dataDir);
  let existing: string | undefined;
  try {
    existing = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (existing !== undefined) {
    const parsed = jwksSchema.safeParse(JSON.parse(existing));
    const first = parsed.success ? parsed.data.keys[0] : undefined;
    if (!first || algorithmOf(first) === alg) return existing;
    const rotated = { keys: [await generateSigningJwk(alg), ...(parsed.data?.keys ?? [])] };
    await writeFileAtomically(file, JSON.stringify(rotated, null, 2));
    getLogger().info(
      { component: "auth" },
      `${file} signed with ${algorithmOf(first)}; ACCESS_TOKEN_ALG is ${alg}: ` +
        `added a ${alg} key that now signs (the old key still verifies tokens already issued).`,
    );
    // Another process may have rotated at the same moment: use whatever the file now holds.
    return fs.readFile(file, "utf8");
  }
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const contents = JSON.stringify({ keys: [await generateSigningJwk(alg)] }, null, 2);
  try {
    // `wx`: if another process (a second instance, a test worker) won the
    // race to create the file, keep theirs so everyone signs with one key.
    await fs.writeFile(file, contents, { flag: "wx", mode: 0o600 });
    getLogger().info(
      { component: "auth" },
      `No AUTH_SIGNING_KEYS set: generated a development ${alg} signing key in ${file}. ` +
        "Set AUTH_SIGNING_KEYS for any deployment.",
    );
    return contents;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return fs.readFile(file, "utf8");
  }
}

/** The algorithm a parsed key signs with: decided by its type; a contradicting `alg` is refused. */
function algorithmOf(jwk: PrivateJwk): SigningAlgorithm {
  return ALG_FOR_KTY[jwk.kty];
}

async function buildKeySet(serialized: string, source: string): Promise<SigningKeySet> {
  let parsed: z.infer<typeof jwksSchema>;
  try {
    parsed = jwksSchema.parse(JSON.parse(serialized));
  } catch {
    // Never echo the value: it is a private key.
    throw new ConfigError(
      `${source} is not a JWKS of private signing keys ({"keys":[…]} of ES256 (EC P-256), Ed25519 (OKP) or RS256 (RSA) keys). ` +
        "Generate one with `npm run keys:generate`.",
    );
  }
  const verifiers = new Map<string, VerificationKey>();
  const macKeys = new Map<string, Uint8Array>();
  const publicKeys: JWK[] = [];
  let signer: SigningKeySet["signer"] | undefined;
  for (const jwk of parsed.keys) {
    const keyAlg = algorithmOf(jwk);
    // "EdDSA" is the older, polymorphic name of the same Ed25519 signature.
    if (
      jwk.alg !== undefined &&
      jwk.alg !== keyAlg &&
      !(keyAlg === "Ed25519" && jwk.alg === "EdDSA")
    ) {
      throw new ConfigError(
        `${source}: a ${jwk.kty} key cannot have alg "${jwk.alg}" (expected ${keyAlg}).`,
      );
    }
    const publicJwk = publicPart(jwk);
    const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
    if (verifiers.has(kid)) throw new ConfigError(`${source} lists kid "${kid}" twice.`);
    if (
      keyAlg === "RS256" &&
      Buffer.from(jwk.n as string, "base64url").length * 8 < RSA_MODULUS_BITS
    ) {
      throw new ConfigError(
        `${source}: RSA key "${kid}" is shorter than ${RSA_MODULUS_BITS} bits.`,
      );
    }
    let publicKey: CryptoKey;
    try {
      publicKey = (await importJWK({ ...publicJwk, alg: keyAlg }, keyAlg)) as CryptoKey;
    } catch {
      throw new ConfigError(`${source}: key "${kid}" is not a valid ${keyAlg} key.`);
    }
    verifiers.set(kid, { alg: keyAlg, key: publicKey });
    macKeys.set(kid, deriveMacKey(jwk.d));
    publicKeys.push({ ...publicJwk, kid, alg: keyAlg, use: "sig" });
    if (!signer) {
      const { kid: _kid, alg: _alg, use: _use, key_ops: _ops, ...material } = jwk;
      const privateKey = (await importJWK({ ...material, alg: keyAlg }, keyAlg)) as CryptoKey;
      signer = { kid, alg: keyAlg, key: privateKey };
    }
  }
  if (!signer) throw new ConfigError(`${source} has no keys.`);
  const algorithms = [...new Set([...verifiers.values()].map((v) => v.alg))];
  return { signer, verifiers, algorithms, publicJwks: { keys: publicKeys }, macKeys };
}

const globalForKeys = globalThis as typeof globalThis & {
  __signingKeys?: { source: string; keys: Promise<SigningKeySet> };
};

/**
 * The process's signing keys, loaded once.
 *
 * With AUTH_SIGNING_KEYS the first key's own algorithm signs; if
 * ACCESS_TOKEN_ALG is also set it must name that algorithm (a mismatch is a
 * configuration error, not a silent choice).
 *
 * @example
 * const { signer, verifiers } = await getSigningKeys();
 */
export function getSigningKeys(): Promise<SigningKeySet> {
  const env = getEnv();
  const alg = env.ACCESS_TOKEN_ALG ?? DEFAULT_ACCESS_TOKEN_ALG;
  const file = devKeyFile(env.dataDir);
  const source = `${env.AUTH_SIGNING_KEYS ? "AUTH_SIGNING_KEYS" : file}|${env.ACCESS_TOKEN_ALG ?? ""}`;
  const cached = globalForKeys.__signingKeys;
  if (cached?.source === source) return cached.keys;
  const keys = (async () => {
    if (!env.AUTH_SIGNING_KEYS)
      return buildKeySet(await readOrCreateDevKeys(env.dataDir, alg), file);
    const set = await buildKeySet(env.AUTH_SIGNING_KEYS, "AUTH_SIGNING_KEYS");
    if (env.ACCESS_TOKEN_ALG && set.signer.alg !== env.ACCESS_TOKEN_ALG) {
      throw new ConfigError(
        `ACCESS_TOKEN_ALG is ${env.ACCESS_TOKEN_ALG}, but the first key of AUTH_SIGNING_KEYS (the one that signs) is ${set.signer.alg}. ` +
          "Put a key of that algorithm first, or unset ACCESS_TOKEN_ALG.",
      );
    }
    return set;
  })();
  keys.catch(() => {
    if (globalForKeys.__signingKeys?.keys === keys) globalForKeys.__signingKeys = undefined;
  });
  globalForKeys.__signingKeys = { source, keys };
  return keys;
}
