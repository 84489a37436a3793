/**
 * Another service verifies our tokens: examples/resource-server (plain Node,
 * jsonwebtoken + jwks-rsa, none of the app's code) runs as its own process and
 * fetches our public keys over HTTP. It must accept a token the app issued and
 * refuse forged, tampered, expired, wrong-audience, wrong-issuer and
 * algorithm-confused ones.
 *
 * How the app is served. Tokens come from the real register route handler, and
 * the JWKS from the real `/.well-known/jwks.json` route handler, exposed on a
 * loopback port by a tiny `node:http` server that hands each request to the
 * exported GET and writes its Response back byte for byte. That is the honest
 * part for this test (the JWKS bytes and the tokens are exactly what the app
 * produces) without a `next build` per run; that Next serves those routes the
 * same way is covered by the e2e suite and the multi-instance test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { SignJWT, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as jwksRoute } from "@/app/.well-known/jwks.json/route";
import { POST as register } from "@/app/api/auth/register/route";
import { getSigningKeys } from "@/lib/auth/keys";
import { APP_ORIGIN, TestClient, uniqueEmail, useTestDatabase } from "@/test/harness";

const EXAMPLE_DIR = path.resolve(__dirname, "../../examples/resource-server");

let jwksServer: http.Server;
let jwksRequests = 0;
let example: ChildProcess;
let exampleUrl: string;
let exampleLog = "";
let accessToken: string;
let claims: { sub: string; sid: string; iss: string; aud: string };

/** Serves the real JWKS route handler on a free loopback port. */
async function serveJwks(): Promise<string> {
  jwksServer = http.createServer(async (req, res) => {
    jwksRequests += 1;
    const request = new Request(new URL(req.url ?? "/", APP_ORIGIN), { method: req.method });
    const response = await jwksRoute(request, { params: Promise.resolve({}) });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
}

/** Starts the example as its own process (PORT=0) and reads the port it announces. */
async function startExample(jwksUrl: string): Promise<string> {
  example = spawn(process.execPath, ["server.mjs"], {
    cwd: EXAMPLE_DIR,
    // Only what the example reads: nothing of the app's configuration leaks into it.
    env: {
      NODE_ENV: "production",
      PATH: process.env.PATH,
      JWKS_URL: jwksUrl,
      TOKEN_ISSUER: APP_ORIGIN,
      TOKEN_AUDIENCE: APP_ORIGIN,
      PORT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  example.stderr!.on("data", (chunk: Buffer) => (exampleLog += chunk.toString()));
  return new Promise((resolve, reject) => {
    example.on("exit", (code) => reject(new Error(`example exited (${code}):\n${exampleLog}`)));
    example.stdout!.on("data", (chunk: Buffer) => {
      exampleLog += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(exampleLog);
      if (match) resolve(match[1]!);
    });
  });
}

async function callExample(token?: string) {
  const response = await fetch(`${exampleUrl}/api/hello`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as any };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** A token signed with the app's own private key, with any claims: proves which check refuses. */
async function signWithOurKey(overrides: Record<string, unknown>, header: object = {}) {
  const { signer } = await getSigningKeys();
  return new SignJWT({ sid: claims.sid, ...overrides })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt", ...header })
    .setIssuer(String(overrides.iss ?? APP_ORIGIN))
    .setAudience(String(overrides.aud ?? APP_ORIGIN))
    .setSubject(claims.sub)
    .setIssuedAt(Number(overrides.iat ?? now()))
    .setExpirationTime(Number(overrides.exp ?? now() + 300))
    .setJti(crypto.randomUUID())
    .sign(signer.key);
}

beforeAll(async () => {
  await useTestDatabase();
  const res = await new TestClient().call(register, "/api/auth/register", {
    json: { email: uniqueEmail("interop"), password: "correct horse battery" },
  });
  expect(res.status).toBe(201);
  accessToken = res.body.accessToken;
  claims = JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString());
  exampleUrl = await startExample(await serveJwks());
});

afterAll(async () => {
  example?.kill();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

describe("examples/resource-server (jsonwebtoken + jwks-rsa) with our JWKS", () => {
  it("pins the same jsonwebtoken and jwks-rsa versions as the root's devDependencies", () => {
    const read = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));
    const own = read(path.join(EXAMPLE_DIR, "package.json")).dependencies;
    const root = read(path.resolve(EXAMPLE_DIR, "../../package.json")).devDependencies;
    for (const name of ["jsonwebtoken", "jwks-rsa"]) {
      expect(own[name]).toMatch(/^\d+\.\d+\.\d+$/);
      expect(own[name]).toBe(root[name]);
    }
  });

  it("accepts an access token the app issued, fetching our public key by kid", async () => {
    const res = await callExample(accessToken);
    expect(res).toEqual({
      status: 200,
      body: { hello: claims.sub, session: claims.sid, expiresAt: expect.any(Number) },
    });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it("refuses a missing token", async () => {
    expect(await callExample()).toMatchObject({
      status: 401,
      body: { error: { code: "token_missing" } },
    });
  });

  const refused = async (token: string, code = "token_invalid") =>
    expect(await callExample(token)).toEqual({
      status: 401,
      body: { error: { code, message: expect.any(String) } },
    });

  it("refuses a forged token: another key under our kid", async () => {
    const { signer } = await getSigningKeys();
    const attacker = await generateKeyPair(signer.alg);
    const forged = await new SignJWT({ sid: claims.sid })
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt" })
      .setIssuer(APP_ORIGIN)
      .setAudience(APP_ORIGIN)
      .setSubject(claims.sub)
      .setIssuedAt(now())
      .setExpirationTime(now() + 300)
      .sign(attacker.privateKey);
    await refused(forged);
  });

  it("refuses a tampered payload under our signature", async () => {
    const [header, , signature] = accessToken.split(".");
    await refused(`${header}.${b64url({ ...claims, sub: crypto.randomUUID() })}.${signature}`);
  });

  it("refuses an expired token signed with our key", async () => {
    await refused(await signWithOurKey({ iat: now() - 600, exp: now() - 300 }), "token_expired");
  });

  it("refuses a wrong audience and a wrong issuer, each alone, signed with our key", async () => {
    await refused(await signWithOurKey({ aud: "https://another-app.example" }));
    await refused(await signWithOurKey({ iss: "https://another-issuer.example" }));
    // Control: the same helper with the right claims passes, so the claim is what failed.
    expect((await callExample(await signWithOurKey({}))).status).toBe(200);
  });

  it("refuses a token that is not an access token (typ), signed with our key", async () => {
    await refused(await signWithOurKey({}, { typ: "JWT" }));
  });

  it("refuses alg none and HS256 keyed with our public key (algorithm confusion)", async () => {
    const { signer, publicJwks } = await getSigningKeys();
    const payload = { ...claims, iat: now(), exp: now() + 300 };
    await refused(`${b64url({ alg: "none", kid: signer.kid, typ: "at+jwt" })}.${b64url(payload)}.`);
    const { createHmac } = await import("node:crypto");
    const input = `${b64url({ alg: "HS256", kid: signer.kid, typ: "at+jwt" })}.${b64url(payload)}`;
    for (const secret of [JSON.stringify(publicJwks.keys[0]), String(publicJwks.keys[0]!.x)]) {
      await refused(`${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`);
    }
  });
});
