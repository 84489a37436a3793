/**
 * The wrapper signs every API request with the device key (create-auth-client.ts
 * `sendWithToken`): `Authorization: DPoP` and a proof naming the method, the URL and the token
 * (`ath`), checked here with jose as the server checks it. A proof the server refuses buys one
 * refresh and one retry, never a loop; a browser without its key ends signed out.
 */
import { createHash } from "node:crypto";
import { EmbeddedJWK, jwtVerify } from "jose";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ERROR_CODE } from "@/lib/contract";
import { errorResponse, FakeServer, jsonResponse } from "@/test/client/fakes";
import { createAuthClient } from "./create-auth-client";
import { createDeviceKey, createMemoryKeyStore } from "./device-key";

const ORIGIN = "http://localhost:3000";
const CREDENTIALS = { email: "ada@example.com", password: "correct horse battery staple" };
let server: FakeServer;

beforeEach(() => {
  server = new FakeServer();
});

function openTab(store = createMemoryKeyStore()) {
  const navigate = vi.fn<(url: string) => void>();
  const client = createAuthClient({
    fetch: server.fetchFor("A"),
    deviceKey: createDeviceKey({ store, origin: () => ORIGIN }),
    locks: null,
    channel: null,
    lifecycle: null,
    navigate,
    getCurrentPath: () => "/notes",
  });
  return { client, navigate, store };
}

describe("a proof per API request", () => {
  it("sends the token as DPoP with a fresh proof naming the method, URL and token", async () => {
    const { client } = openTab();
    await client.login(CREDENTIALS);
    await client.apiFetch("/api/notes");
    await client.apiFetch("/api/notes", { method: "post", body: "{}" });

    const calls = server.callsTo("/api/notes");
    expect(calls.map((c) => c.authorization)).toEqual(["DPoP token-1", "DPoP token-1"]);
    const proofs = await Promise.all(
      calls.map(async (c) => {
        const { payload, protectedHeader } = await jwtVerify(c.dpop!, EmbeddedJWK, {
          typ: "dpop+jwt",
          algorithms: ["ES256"],
        });
        expect(protectedHeader.jwk).not.toHaveProperty("d");
        return payload;
      }),
    );
    const ath = createHash("sha256").update("token-1").digest("base64url");
    expect(proofs[0]).toMatchObject({ htm: "GET", htu: `${ORIGIN}/api/notes`, ath });
    expect(proofs[1]).toMatchObject({ htm: "POST", htu: `${ORIGIN}/api/notes`, ath });
    expect(proofs[0]!.jti).not.toBe(proofs[1]!.jti);
    // The inspector's line for each: which key, which token (a fingerprint), which jti.
    const lines = client.store.getState().events.filter((e) => e.type === "request_proof");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ method: "GET", path: "/api/notes", token: "…oken-1" });
  });

  it("a refused proof buys exactly one refresh and one retry, never a loop", async () => {
    const { client } = openTab();
    await client.login(CREDENTIALS);
    server.routes.set("/api/notes", () => errorResponse(401, ERROR_CODE.invalidDpopProof));
    const response = await client.apiFetch("/api/notes");
    expect(response.status).toBe(401);
    expect(server.callsTo("/api/notes").map((c) => c.authorization)).toEqual([
      "DPoP token-1",
      "DPoP token-2",
    ]);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    expect(client.store.getState().status).toBe("authenticated");
  });

  it("without its key (site data wiped) it sends Bearer, and ends signed out cleanly", async () => {
    const { client, navigate, store } = openTab();
    await client.login(CREDENTIALS);
    await store.remove();
    server.routes.set("/api/notes", (call) =>
      call.authorization?.startsWith("Bearer ")
        ? errorResponse(401, ERROR_CODE.dpopProofRequired)
        : jsonResponse(200, { notes: [] }),
    );
    server.refreshAnswers.push(() => errorResponse(401, ERROR_CODE.dpopProofRequired));
    const response = await client.apiFetch("/api/notes");
    expect(response.status).toBe(401);
    expect(server.callsTo("/api/notes").map((c) => c.authorization)).toEqual(["Bearer token-1"]);
    expect(server.callsTo("/api/auth/refresh").map((c) => c.dpop)).toEqual([null]);
    expect(client.store.getState().status).toBe("signed_out");
    expect(navigate).toHaveBeenCalledTimes(1);
    expect(navigate.mock.calls[0]![0]).toMatch(/^\/login\?/);
  });
});
