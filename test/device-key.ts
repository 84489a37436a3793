/**
 * A device key for tests outside a browser: what lib/client/device-key.ts is in the page, made
 * with jose in Node. It signs RFC 9449 shaped proofs for a request (lib/auth/dpop.ts checks
 * them) and remembers the last `DPoP-Nonce` the server sent.
 */
import { randomBytes } from "node:crypto";
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

  /** Keeps the nonce of an answer that carried one. */
  learnNonce(headers: Headers): void {
    const nonce = headers.get("dpop-nonce");
    if (nonce) this.nonce = nonce;
  }
}
