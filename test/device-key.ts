/**
 * A device key for tests outside a browser: what lib/client/device-key.ts is in the page, made
 * with jose in Node. It signs RFC 9449 shaped proofs for a request (lib/auth/dpop.ts checks
 * them) and remembers the last `DPoP-Nonce` the server sent.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  type CryptoKey,
  type JWK,
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
} from "jose";

export class TestDeviceKey {
  nonce: string | null = null;

  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
  ) {}

  static async create(): Promise<TestDeviceKey> {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const jwk = await exportJWK(publicKey);
    return new TestDeviceKey(privateKey, { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y });
  }

  /** RFC 7638 thumbprint: what the server stores on a session bound to this key. */
  thumbprint(): Promise<string> {
    return calculateJwkThumbprint(this.publicJwk, "sha256");
  }

  /**
   * A proof for `method url`. `claims` overrides or removes (undefined) any claim; `header`
   * overrides header fields.
   *
   * @example
   * const proof = await key.proof("POST", "http://localhost:3000/api/auth/refresh");
   */
  async proof(
    method: string,
    url: string,
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
  ): Promise<string> {
    const target = new URL(url);
    const payload: Record<string, unknown> = {
      htm: method,
      htu: `${target.origin}${target.pathname}`,
      iat: Math.floor(Date.now() / 1000),
      jti: randomBytes(16).toString("base64url"),
      ...(this.nonce !== null && { nonce: this.nonce }),
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) {
      if (value === undefined) delete payload[name];
    }
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: this.publicJwk, ...header })
      .sign(this.privateKey);
  }

  /**
   * A proof for an API request made with `accessToken` (RFC 9449 §7): with `ath`, its hash, and no
   * nonce (the API takes none). `claims` overrides as in `proof`.
   *
   * @example
   * headers: { authorization: `DPoP ${token}`, dpop: await key.accessProof("GET", url, token) }
   */
  accessProof(
    method: string,
    url: string,
    accessToken: string,
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
  ): Promise<string> {
    return this.proof(
      method,
      url,
      { nonce: undefined, ath: accessTokenHash(accessToken), ...claims },
      header,
    );
  }

  /** Keeps the nonce of an answer that carried one. */
  learnNonce(headers: Headers): void {
    const nonce = headers.get("dpop-nonce");
    if (nonce) this.nonce = nonce;
  }
}

/** `ath`: base64url(SHA-256(access token)). */
export function accessTokenHash(accessToken: string): string {
  return createHash("sha256").update(accessToken, "ascii").digest("base64url");
}

/** The `cnf.jkt` an access token carries (decoded, not verified), or null when it is unbound. */
export function boundJktOf(accessToken: string): string | null {
  try {
    const payload = JSON.parse(
      Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString(),
    );
    const jkt: unknown = payload?.cnf?.jkt;
    return typeof jkt === "string" ? jkt : null;
  } catch {
    return null;
  }
}

const SIGNED_PATHS = new Set(["/api/auth/login", "/api/auth/register", "/api/auth/refresh"]);

/**
 * Device keys for a test client that speaks HTTP to real servers (the fault and multi-instance
 * suites): a sign-in gets a new key, and every refresh token is presented with the key of the
 * session it belongs to, as the browser does.
 *
 * @example
 * const devices = new DeviceKeys();
 * const key = await devices.keyFor("/api/auth/refresh", refreshToken);
 * headers.dpop = await key.proof("POST", url);
 * devices.remember(key, response.headers, newRefreshToken);
 */
export class DeviceKeys {
  private readonly byToken = new Map<string, Promise<TestDeviceKey>>();
  private readonly byAccessToken = new Map<string, TestDeviceKey>();

  /**
   * The `Authorization` (and `DPoP`) headers of an API request with `accessToken`: Bearer for an
   * unbound token, else `DPoP` with a proof by the key of the session it was issued to.
   *
   * @example
   * Object.assign(headers, await devices.authorize(token, "GET", `${base}/api/notes`));
   */
  async authorize(
    accessToken: string,
    method: string,
    url: string,
  ): Promise<Record<string, string>> {
    const key = boundJktOf(accessToken) ? this.byAccessToken.get(accessToken) : undefined;
    if (!key) return { authorization: `Bearer ${accessToken}` };
    return {
      authorization: `DPoP ${accessToken}`,
      dpop: await key.accessProof(method, url, accessToken),
    };
  }

  /** The key to sign a request to `path` with, or null when the path takes no proof. */
  async keyFor(path: string, refreshToken?: string | null): Promise<TestDeviceKey | null> {
    if (!SIGNED_PATHS.has(path)) return null;
    const known = path.endsWith("/refresh") && refreshToken && this.byToken.get(refreshToken);
    return known ? known : TestDeviceKey.create();
  }

  /** After an answer: its nonce, and the new refresh token's (and access token's) key. */
  remember(
    key: TestDeviceKey | null,
    headers: Headers,
    refreshToken?: string | null,
    accessToken?: string | null,
  ): void {
    if (!key) return;
    key.learnNonce(headers);
    if (refreshToken) this.byToken.set(refreshToken, Promise.resolve(key));
    if (accessToken) this.byAccessToken.set(accessToken, key);
  }
}
