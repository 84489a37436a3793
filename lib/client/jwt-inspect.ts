/**
 * Reading an access token in the browser, for the inspector only. The fetch wrapper never does
 * this: to it, tokens are opaque strings, and only the server decides whether one is valid.
 *
 * Decoding needs no key (a JWS is base64url JSON plus a signature): jose's `decodeJwt` and
 * `decodeProtectedHeader`. Verifying needs the public key, which the server publishes at
 * /.well-known/jwks.json; jose's `compactVerify` checks an ES256, Ed25519 or RS256 signature with
 * the browser's Web Crypto, which shows that anyone holding only the public key can verify a
 * token but never mint one.
 */
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK } from "jose";
import { jwksBodySchema, publicJwkSchema, type PublicJwk } from "@/lib/contract";

export type { PublicJwk } from "@/lib/contract";

export type JsonObject = Record<string, unknown>;

export interface InspectedJwt {
  /** The compact token, as held. */
  token: string;
  header: JsonObject;
  payload: JsonObject;
  /** The third segment, base64url, as sent. */
  signature: string;
}

/**
 * Decodes a compact JWS without verifying it, or returns null when it is not one.
 *
 * @example
 * inspectJwt(accessToken)?.payload.exp; // 1767225600
 */
export function inspectJwt(token: string): InspectedJwt | null {
  const signature = token.split(".")[2];
  if (!signature) return null;
  try {
    return { token, header: decodeProtectedHeader(token), payload: decodeJwt(token), signature };
  } catch {
    return null;
  }
}

/**
 * The key named `kid` in a JWKS document, with its position, or null.
 *
 * @example
 * findJwk(await (await fetch("/.well-known/jwks.json")).json(), decoded.header.kid);
 * // { key: { kty: "OKP", crv: "Ed25519", x: "…", kid: "…" }, index: 0, total: 1 }
 */
export function findJwk(
  jwks: unknown,
  kid: unknown,
): { key: PublicJwk; index: number; total: number } | null {
  const parsed = jwksBodySchema.safeParse(jwks);
  if (!parsed.success || typeof kid !== "string") return null;
  // IMPORTANT: the document's own key objects, not parsed copies. The card keys an effect on the
  // matched key; a fresh copy on every render re-ran the signature check forever.
  const keys = parsed.data.keys.filter(
    (key): key is PublicJwk => publicJwkSchema.safeParse(key).success,
  );
  const index = keys.findIndex((key) => key.kid === kid);
  const key = keys[index];
  return key ? { key, index, total: keys.length } : null;
}

/** The key type each algorithm the server signs with needs. */
const KEY_SHAPES: Record<string, (jwk: PublicJwk) => boolean> = {
  ES256: (jwk) => jwk.kty === "EC" && jwk.crv === "P-256",
  Ed25519: (jwk) => jwk.kty === "OKP" && jwk.crv === "Ed25519",
  RS256: (jwk) => jwk.kty === "RSA",
};

/**
 * Checks the token's signature with a public JWK in this browser, by the key's own algorithm
 * (the JWK's `alg`; a token whose header names another is `false`, as on the server). Resolves
 * `true`/`false`, or `"unsupported"` where Web Crypto lacks the algorithm (older browsers and
 * Ed25519).
 *
 * @example
 * await verifyJwtSignature(inspected, key); // true
 */
export async function verifyJwtSignature(
  inspected: InspectedJwt,
  jwk: PublicJwk,
): Promise<boolean | "unsupported"> {
  const alg = jwk.alg ?? (jwk.kty === "OKP" ? "Ed25519" : undefined);
  const fits = alg === undefined ? undefined : KEY_SHAPES[alg];
  if (!alg || !fits || !fits(jwk) || inspected.header.alg !== alg) return false;
  const { kty, crv, x, y, n, e } = jwk;
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK({ kty, crv, x, y, n, e }, alg);
  } catch (error) {
    return isNotSupported(error) ? "unsupported" : false;
  }
  try {
    await compactVerify(inspected.token, key, { algorithms: [alg] });
    return true;
  } catch (error) {
    return isNotSupported(error) ? "unsupported" : false;
  }
}

function isNotSupported(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ERR_JOSE_NOT_SUPPORTED";
}
