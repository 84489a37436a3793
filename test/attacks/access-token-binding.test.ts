/**
 * Attack suite: bound access tokens (lib/auth/authenticate.ts, `verifyAccessTokenProof` in
 * lib/auth/dpop.ts). A thief holds a copy of the victim's access token (a log, a proxy, a leaked
 * HAR file), from another device, without the browser's non-extractable key. Every way of
 * presenting it is refused with its own code and writes nothing (a POST /api/notes is the write
 * it tries), and the victim's own requests keep working. Runs on PGlite and PostgreSQL.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { GET as me } from "@/app/api/me/route";
import { GET as listNotes, POST as createNote } from "@/app/api/notes/route";
import { ACCESS_PROOF_IAT_WINDOW_SECONDS } from "@/lib/auth/dpop";
import { runWithClockOffset } from "@/lib/auth/clock";
import type { Db } from "@/lib/db/client";
import { snapshotDatabase } from "@/test/attacks/db-snapshot";
import { TestDeviceKey, accessTokenHash, boundJktOf } from "@/test/device-key";
import {
  APP_ORIGIN,
  TestClient,
  keyOfAccess,
  setEnv,
  uniqueEmail,
  useTestDatabase,
} from "@/test/harness";

const PASSWORD = "correct horse battery";
const NOTES_URL = `${APP_ORIGIN}/api/notes`;
let db: Db;
beforeAll(async () => {
  db = await useTestDatabase();
});

async function victim() {
  const client = new TestClient("victim");
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail("bound-access"), password: PASSWORD },
  });
  expect(res.status).toBe(201);
  const accessToken: string = res.body.accessToken;
  const key = (await keyOfAccess(accessToken))!;
  const userId = res.body.user.id as string;
  // A new account starts with its welcome notes: count what the test adds.
  const startingNotes = await db.note.count({ where: { userId } });
  const notesAdded = async () => (await db.note.count({ where: { userId } })) - startingNotes;
  return { client, accessToken, key, userId, notesAdded };
}

/** POST /api/notes with exactly this Authorization and DPoP header (null: none). */
const postNote = (authorization: string, dpop: string | null, userAgent = "thief") =>
  new TestClient(userAgent).call(createNote, "/api/notes", {
    json: { body: "written by whoever holds this token" },
    headers: { authorization, ...(dpop !== null && { dpop }) },
    dpop: null,
  });

/** The victim's own request, as the browser sends it, still works. */
async function expectVictimKeepsWorking(v: Awaited<ReturnType<typeof victim>>) {
  const res = await v.client.call(listNotes, "/api/notes", { bearer: v.accessToken });
  expect(res.status).toBe(200);
}

/** Refused with `code`, a DPoP challenge, and not one row written. */
async function expectRefused(
  send: () => Promise<{ status: number; headers: Headers; body: any }>,
  code: string,
) {
  const before = await snapshotDatabase(db);
  const res = await send();
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe(code);
  expect(res.headers.get("www-authenticate")).toMatch(/^DPoP /);
  expect(await snapshotDatabase(db)).toEqual(before);
}

describe("the control: the victim's browser", () => {
  it("gets an access token bound to its key, and reads and writes with a proof per request", async () => {
    const v = await victim();
    expect(boundJktOf(v.accessToken)).toBe(await v.key.thumbprint());
    const proof = await v.key.accessProof("POST", NOTES_URL, v.accessToken);
    const res = await postNote(`DPoP ${v.accessToken}`, proof, "victim");
    expect(res.status).toBe(201);
    expect(await v.notesAdded()).toBe(1);
    await expectVictimKeepsWorking(v);
  });

  it("keeps the binding across a refresh: the new token names the same key", async () => {
    const v = await victim();
    const refreshed = await v.client.call(refresh, "/api/auth/refresh", { method: "POST" });
    expect(refreshed.status).toBe(200);
    expect(boundJktOf(refreshed.body.accessToken)).toBe(await v.key.thumbprint());
  });
});

describe("a copied access token on another device", () => {
  it("sent as Bearer, as any stolen bearer token would be: 401 dpop_proof_required", async () => {
    const v = await victim();
    await expectRefused(() => postNote(`Bearer ${v.accessToken}`, null), "dpop_proof_required");
    await expectVictimKeepsWorking(v);
  });

  it("sent as Bearer with a proof beside it: still refused (the scheme says which check runs)", async () => {
    const v = await victim();
    const proof = await v.key.accessProof("POST", NOTES_URL, v.accessToken);
    await expectRefused(() => postNote(`Bearer ${v.accessToken}`, proof), "dpop_proof_required");
  });

  it("sent as DPoP without a proof: 401 dpop_proof_required", async () => {
    const v = await victim();
    await expectRefused(() => postNote(`DPoP ${v.accessToken}`, null), "dpop_proof_required");
  });

  it("with a proof from the thief's own key (right ath, htm, htu, fresh): 401 invalid_dpop_proof", async () => {
    const v = await victim();
    const thief = await TestDeviceKey.create();
    const proof = await thief.accessProof("POST", NOTES_URL, v.accessToken);
    await expectRefused(() => postNote(`DPoP ${v.accessToken}`, proof), "invalid_dpop_proof");
    await expectVictimKeepsWorking(v);
  });

  it("with the thief's key claiming the victim's public key in its header: bad signature", async () => {
    const v = await victim();
    const thief = await TestDeviceKey.create();
    const proof = await thief.accessProof(
      "POST",
      NOTES_URL,
      v.accessToken,
      {},
      {
        jwk: v.key.publicJwk,
      },
    );
    await expectRefused(() => postNote(`DPoP ${v.accessToken}`, proof), "invalid_dpop_proof");
  });
});

describe("a proof that is not for this request", () => {
  it("a wrong ath (the proof names another access token, e.g. the victim's previous one)", async () => {
    const v = await victim();
    const other = await v.client.call(refresh, "/api/auth/refresh", { method: "POST" });
    const proofForOld = await v.key.accessProof("POST", NOTES_URL, v.accessToken);
    await expectRefused(
      () => postNote(`DPoP ${other.body.accessToken}`, proofForOld),
      "invalid_dpop_proof",
    );
    const noAth = await v.key.accessProof("POST", NOTES_URL, v.accessToken, { ath: undefined });
    await expectRefused(() => postNote(`DPoP ${v.accessToken}`, noAth), "invalid_dpop_proof");
    const padded = `${accessTokenHash(v.accessToken)}=`;
    const oddAth = await v.key.accessProof("POST", NOTES_URL, v.accessToken, { ath: padded });
    await expectRefused(() => postNote(`DPoP ${v.accessToken}`, oddAth), "invalid_dpop_proof");
  });

  it("a wrong htm (a GET's proof on a POST) or htu (another path, another origin)", async () => {
    const v = await victim();
    for (const [method, url] of [
      ["GET", NOTES_URL],
      ["POST", `${APP_ORIGIN}/api/me`],
      ["POST", "https://evil.example/api/notes"],
      ["POST", `${NOTES_URL}/`],
    ] as const) {
      const proof = await v.key.accessProof(method, url, v.accessToken);
      await expectRefused(() => postNote(`DPoP ${v.accessToken}`, proof), "invalid_dpop_proof");
    }
  });

  it("a stale or future iat, beyond the window either way, or none", async () => {
    const v = await victim();
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [
      now - ACCESS_PROOF_IAT_WINDOW_SECONDS - 5,
      now + ACCESS_PROOF_IAT_WINDOW_SECONDS + 5,
      undefined,
      "now",
    ]) {
      const proof = await v.key.accessProof("POST", NOTES_URL, v.accessToken, { iat });
      await expectRefused(() => postNote(`DPoP ${v.accessToken}`, proof), "invalid_dpop_proof");
    }
    // Inside the window it passes: the bound is the window, not exact time.
    const edge = await v.key.accessProof("POST", NOTES_URL, v.accessToken, {
      iat: now - ACCESS_PROOF_IAT_WINDOW_SECONDS + 5,
    });
    expect((await postNote(`DPoP ${v.accessToken}`, edge, "victim")).status).toBe(201);
  });

  it("a proof that is not a DPoP proof: wrong typ, HS256, a private key in jwk, two proofs", async () => {
    const v = await victim();
    const typ = await v.key.accessProof("POST", NOTES_URL, v.accessToken, {}, { typ: "JWT" });
    await expectRefused(() => postNote(`DPoP ${v.accessToken}`, typ), "invalid_dpop_proof");
    const withD = await v.key.accessProof(
      "POST",
      NOTES_URL,
      v.accessToken,
      {},
      {
        jwk: { ...v.key.publicJwk, d: "AAAA" },
      },
    );
    await expectRefused(() => postNote(`DPoP ${v.accessToken}`, withD), "invalid_dpop_proof");
    const [h, p] = (await v.key.accessProof("POST", NOTES_URL, v.accessToken)).split(".");
    const unsigned = `${h}.${p}.`;
    await expectRefused(() => postNote(`DPoP ${v.accessToken}`, unsigned), "invalid_dpop_proof");
    const one = await v.key.accessProof("POST", NOTES_URL, v.accessToken);
    const two = await v.key.accessProof("POST", NOTES_URL, v.accessToken);
    await expectRefused(
      () => postNote(`DPoP ${v.accessToken}`, `${one}, ${two}`),
      "invalid_dpop_proof",
    );
  });
});

describe("a replayed proof", () => {
  it("the same proof twice: the second is refused with dpop_proof_replayed and writes nothing", async () => {
    const v = await victim();
    const proof = await v.key.accessProof("POST", NOTES_URL, v.accessToken);
    expect((await postNote(`DPoP ${v.accessToken}`, proof, "victim")).status).toBe(201);
    await expectRefused(() => postNote(`DPoP ${v.accessToken}`, proof), "dpop_proof_replayed");
    expect(await v.notesAdded()).toBe(1);
  });

  it("one captured proof sent 12 times at once: exactly one note is written", async () => {
    const v = await victim();
    const proof = await v.key.accessProof("POST", NOTES_URL, v.accessToken);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => postNote(`DPoP ${v.accessToken}`, proof)),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(11).fill(401)]);
    for (const a of answers.filter((x) => x.status === 401)) {
      expect(a.body.error.code).toBe("dpop_proof_replayed");
    }
    expect(await v.notesAdded()).toBe(1);
  });

  it("12 different proofs by the right key at once: all pass (the record is per proof)", async () => {
    const v = await victim();
    const proofs = await Promise.all(
      Array.from({ length: 12 }, () => v.key.accessProof("POST", NOTES_URL, v.accessToken)),
    );
    const answers = await Promise.all(proofs.map((p) => postNote(`DPoP ${v.accessToken}`, p)));
    expect(answers.map((a) => a.status)).toEqual(Array<number>(12).fill(201));
  });
});

describe("codes the browser refreshes on", () => {
  it("an expired bound token answers token_expired whatever the scheme or proof", async () => {
    const v = await victim();
    const later = 305_000;
    const thief = await TestDeviceKey.create();
    for (const [authorization, dpop] of [
      [`Bearer ${v.accessToken}`, null],
      [`DPoP ${v.accessToken}`, await thief.accessProof("GET", `${APP_ORIGIN}/api/me`, "x")],
    ] as const) {
      const res = await runWithClockOffset(later, () =>
        new TestClient().call(me, "/api/me", {
          headers: { authorization, ...(dpop !== null && { dpop }) },
          dpop: null,
        }),
      );
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("token_expired");
    }
  });

  it("an unbound token sent as DPoP still needs a valid proof (no key to compare it with)", async () => {
    const restore = setEnv({ ACCESS_TOKEN_BINDING: "off" });
    try {
      const v = await victim();
      expect(boundJktOf(v.accessToken)).toBeNull();
      const good = await v.key.accessProof("POST", NOTES_URL, v.accessToken);
      expect((await postNote(`DPoP ${v.accessToken}`, good, "victim")).status).toBe(201);
      const bad = await v.key.accessProof("POST", NOTES_URL, `${v.accessToken}x`);
      await expectRefused(() => postNote(`DPoP ${v.accessToken}`, bad), "invalid_dpop_proof");
    } finally {
      restore();
    }
  });
});

describe("ACCESS_TOKEN_BINDING=off, the documented switch for plain Bearer", () => {
  it("issues unbound access tokens (Bearer works, a copy too), refreshes stay bound, and tokens issued bound stay bound", async () => {
    const bound = await victim();
    const restore = setEnv({ ACCESS_TOKEN_BINDING: "off" });
    try {
      const plain = await victim();
      expect(boundJktOf(plain.accessToken)).toBeNull();
      // The trade-off the switch makes: a copied token works as any bearer token does.
      expect((await postNote(`Bearer ${plain.accessToken}`, null)).status).toBe(201);
      // The refresh is still bound to the device key.
      const copied = await new TestClient("thief").call(refresh, "/api/auth/refresh", {
        method: "POST",
        refreshToken: plain.client.refreshToken,
        dpop: null,
      });
      expect(copied.body.error.code).toBe("dpop_proof_required");
      // A token that carries cnf keeps needing its proof, whatever the switch says.
      await expectRefused(
        () => postNote(`Bearer ${bound.accessToken}`, null),
        "dpop_proof_required",
      );
    } finally {
      restore();
    }
  });

  it("DPOP_BINDING=off: no session key, so no binding of access tokens either", async () => {
    const restore = setEnv({ DPOP_BINDING: "off" });
    try {
      const client = new TestClient();
      const res = await client.call(register, "/api/auth/register", {
        json: { email: uniqueEmail("unbound"), password: PASSWORD },
        dpop: null,
      });
      expect(boundJktOf(res.body.accessToken)).toBeNull();
      expect((await postNote(`Bearer ${res.body.accessToken}`, null)).status).toBe(201);
    } finally {
      restore();
    }
  });
});
