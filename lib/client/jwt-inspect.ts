/**
 * Reading an access token in the browser, for the inspector only. The fetch wrapper never does
 * this: to it, tokens are opaque strings, and only the server decides whether one is valid.
 *
 * Decoding needs no key (a JWS is base64url JSON plus a signature). Verifying needs the public
 * key, which the server publishes at /.well-known/jwks.json; the browser's Web Crypto can check
 * an ES256, Ed25519 or RS256 signature itself, which shows that anyone holding only the public key
 * can verify a token but never mint one.
 */
import { isRecord } from "./api-error";

export type JsonObject = Record<string, unknown>;

export interface DecodedJwt {
  header: JsonObject;
  payload: JsonObject;
  /** The third segment, base64url, as sent. */
  signature: string;
  /** `header.payload`: the bytes the signature covers. */
  signingInput: string;
}

/** A public key from the JWKS (the server never publishes `d`). */
export interface PublicJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  kid?: string;
  alg?: string;
  use?: string;
}

/**
 * Splits and decodes a compact JWS without verifying it, or returns null when it is not one.
 *
 * @example
 * decodeJwt(accessToken)?.payload.exp; // 1767225600
 */
export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts as [string, string, string];
  const decodedHeader = parseSegment(header);
  const decodedPayload = parseSegment(payload);
  if (!decodedHeader || !decodedPayload || signature === "") return null;
  return {
    header: decodedHeader,
    payload: decodedPayload,
    signature,
    signingInput: `${header}.${payload}`,
  };
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
  if (!isRecord(jwks) || !Array.isArray(jwks.keys) || typeof kid !== "string") return null;
  const keys = jwks.keys.filter(isPublicJwk);
  const index = keys.findIndex((key) => key.kid === kid);
  const key = keys[index];
  return key ? { key, index, total: keys.length } : null;
}

/** Web Crypto's import and verify parameters for each algorithm the server signs with. */
const WEB_CRYPTO: Record<
  string,
  {
    matches: (jwk: PublicJwk) => boolean;
    publicJwk: (jwk: PublicJwk) => JsonWebKey;
    importParams: AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams;
    verifyParams: AlgorithmIdentifier | EcdsaParams;
  }
> = {
  ES256: {
    matches: (jwk) => jwk.kty === "EC" && jwk.crv === "P-256" && !!jwk.x && !!jwk.y,
    publicJwk: ({ x, y }) => ({ kty: "EC", crv: "P-256", x, y }),
    importParams: { name: "ECDSA", namedCurve: "P-256" },
    // A JWS ES256 signature is the raw r‖s pair, which is also what Web Crypto expects.
    verifyParams: { name: "ECDSA", hash: "SHA-256" },
  },
  Ed25519: {
    matches: (jwk) => jwk.kty === "OKP" && jwk.crv === "Ed25519" && !!jwk.x,
    publicJwk: ({ x }) => ({ kty: "OKP", crv: "Ed25519", x }),
    importParams: { name: "Ed25519" },
    verifyParams: { name: "Ed25519" },
  },
  RS256: {
    matches: (jwk) => jwk.kty === "RSA" && !!jwk.n && !!jwk.e,
    publicJwk: ({ n, e }) => ({ kty: "RSA", n, e }),
    importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    verifyParams: { name: "RSASSA-PKCS1-v1_5" },
  },
};

/**
 * Checks the token's signature with a public JWK in this browser, by the key's own algorithm
 * (the JWK's `alg`; a token whose header names another is `false`, as on the server). Resolves
 * `true`/`false`, or `"unsupported"` where Web Crypto lacks the algorithm (older browsers and
 * Ed25519).
 *
 * @example
 * await verifyJwtSignature(decoded, key); // true
 */
export async function verifyJwtSignature(
  decoded: DecodedJwt,
  jwk: PublicJwk,
  subtle: SubtleCrypto = globalThis.crypto.subtle,
): Promise<boolean | "unsupported"> {
  const alg = jwk.alg ?? (jwk.kty === "OKP" ? "Ed25519" : undefined);
  const scheme = alg === undefined ? undefined : WEB_CRYPTO[alg];
  if (!scheme || !scheme.matches(jwk) || decoded.header.alg !== alg) return false;
  let key: CryptoKey;
  try {
    key = await subtle.importKey("jwk", scheme.publicJwk(jwk), scheme.importParams, false, [
      "verify",
    ]);
  } catch {
    return "unsupported";
  }
  const signature = base64UrlToBytes(decoded.signature);
  if (!signature) return false;
  return subtle.verify(
    scheme.verifyParams,
    key,
    signature,
    new TextEncoder().encode(decoded.signingInput),
  );
}

function parseSegment(segment: string): JsonObject | null {
  const bytes = base64UrlToBytes(segment);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return isRecord(value) && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

function base64UrlToBytes(segment: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return null;
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  try {
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

function isPublicJwk(value: unknown): value is PublicJwk {
  return isRecord(value) && typeof value.kty === "string";
}
