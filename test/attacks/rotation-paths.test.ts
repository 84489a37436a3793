/**
 * The two ways a rotation is carried out (lib/auth/sessions.ts): the normal CURRENT rotation as
 * one SQL statement (the fast path), and the careful path under the session's row lock for every
 * other case. These tests show which path ran (the careful path is the only caller of an
 * interactive transaction) and that both keep the state table's guarantees: stamps, per-session
 * policy, expiry, revocation, reuse, races and storms. On PGlite and PostgreSQL alike.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { runWithClockOffset } from "@/lib/auth/clock";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import { type Db, getDb } from "@/lib/db/client";
import { snapshotDatabase } from "@/test/attacks/db-snapshot";
import { type CallResult, TestClient, uniqueEmail, useTestDatabase } from "@/test/harness";

let db: Db;
beforeAll(async () => {
  db = await useTestDatabase();
});
// The client the app uses now: an earlier file that changed the configuration (database bounds)
// may have replaced the one the harness opened, and the spy must sit on the one in use.
let live: Db;
beforeEach(async () => {
  live = await getDb();
});
afterEach(() => vi.restoreAllMocks());

async function signedIn() {
  const client = new TestClient();
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail("paths"), password: "correct horse battery" },
  });
  expect(res.status).toBe(201);
  return client;
}
const present = (client: TestClient, refreshToken?: string) =>
  client.call(refresh, "/api/auth/refresh", {
    method: "POST",
    ...(refreshToken !== undefined && { refreshToken }),
  });
const outcome = (res: CallResult<any>) =>
  res.status === 200 ? "ok" : `${res.status} ${res.body.error.code}`;
const tokenOf = (raw: string) =>
  db.refreshToken.findUniqueOrThrow({
    where: { tokenHash: hashRefreshToken(raw) },
    include: { session: true },
  });
/** Counts careful-path decisions: each one is an interactive transaction. */
const countCarefulPath = () => vi.spyOn(live, "$transaction");

describe("the fast path (one statement)", () => {
  it("rotates a CURRENT token without a transaction, stamping everything with one time", async () => {
    const client = await signedIn();
    const parent = client.refreshToken!;
    const careful = countCarefulPath();
    const before = Date.now();
    const res = await present(client);
    expect(res.status).toBe(200);
    expect(careful).not.toHaveBeenCalled();

    const spent = await tokenOf(parent);
    const child = await tokenOf(client.refreshToken!);
    const session = child.session;
    expect(session.headGeneration).toBe(1);
    expect(session.headParentId).toBe(spent.id);
    expect(child.parentId).toBe(spent.id);
    expect(child.generation).toBe(1);
    expect(child.usedAt).toBeNull();
    // One instant for the whole rotation (the inspector tells a rotation from a grace sibling by it).
    const stamp = session.headIssuedAt.getTime();
    expect(stamp).toBeGreaterThanOrEqual(before);
    for (const t of [spent.usedAt!, child.issuedAt, session.lastUsedAt]) {
      expect(t.getTime()).toBe(stamp);
    }
    expect(session.idleExpiresAt.getTime()).toBe(stamp + 7 * 24 * 3600 * 1000);
    // The answer carries the user and the rotated session, as the careful path's would.
    expect(res.body.user.id).toBe(session.userId);
  });

  it("honours the session's shorter idle timeout, capped by the absolute expiry", async () => {
    const client = await signedIn();
    const { session } = await tokenOf(client.refreshToken!);
    await db.session.update({ where: { id: session.id }, data: { idleTimeoutSeconds: 60 } });
    expect(await present(client).then(outcome)).toBe("ok");
    let after = (await tokenOf(client.refreshToken!)).session;
    expect(after.idleExpiresAt.getTime() - after.headIssuedAt.getTime()).toBe(60_000);

    // An override above the default counts as the default (policies only shorten).
    await db.session.update({
      where: { id: session.id },
      data: { idleTimeoutSeconds: 30 * 24 * 3600 },
    });
    expect(await present(client).then(outcome)).toBe("ok");
    after = (await tokenOf(client.refreshToken!)).session;
    expect(after.idleExpiresAt.getTime() - after.headIssuedAt.getTime()).toBe(7 * 24 * 3600_000);

    const absolute = new Date(Date.now() + 30_000);
    await db.session.update({
      where: { id: session.id },
      data: { idleTimeoutSeconds: null, absoluteExpiresAt: absolute },
    });
    expect(await present(client).then(outcome)).toBe("ok");
    after = (await tokenOf(client.refreshToken!)).session;
    expect(after.idleExpiresAt.getTime()).toBe(absolute.getTime());
  });

  it("adds the test clock's offset to the database's time", async () => {
    const client = await signedIn();
    const before = Date.now();
    const res = await runWithClockOffset(3600_000, () => present(client));
    expect(res.status).toBe(200);
    const { session } = await tokenOf(client.refreshToken!);
    expect(session.headIssuedAt.getTime()).toBeGreaterThanOrEqual(before + 3600_000);
  });
});

describe("every other case falls back to the careful path, with its guarantees", () => {
  it("a lost answer's retry: the fast path finds nothing, the careful path gives a sibling", async () => {
    const client = await signedIn();
    const parent = client.refreshToken!;
    expect(await present(new TestClient(), parent).then(outcome)).toBe("ok");
    const careful = countCarefulPath();
    expect(await present(client, parent).then(outcome)).toBe("ok");
    expect(careful).toHaveBeenCalledTimes(1);
    const sibling = await tokenOf(client.refreshToken!);
    expect(sibling.generation).toBe(1);
    expect(sibling.session.headGeneration).toBe(1);
    // The sibling is CURRENT, so the next rotation is the fast path again.
    careful.mockClear();
    expect(await present(client).then(outcome)).toBe("ok");
    expect(careful).not.toHaveBeenCalled();
  });

  it("reuse: revoked, and the replayed token marked", async () => {
    const client = await signedIn();
    const ancestor = client.refreshToken!;
    await present(client);
    await present(client);
    const careful = countCarefulPath();
    expect(await present(new TestClient(), ancestor).then(outcome)).toBe(
      "401 refresh_token_reused",
    );
    expect(careful).toHaveBeenCalledTimes(1);
    const replayed = await tokenOf(ancestor);
    expect(replayed.reusedAt).not.toBeNull();
    expect(replayed.session.revokeReason).toBe("refresh_token_reused");
  });

  for (const [label, data, code] of [
    ["idle-expired", { idleExpiresAt: new Date(Date.now() - 1000) }, "session_expired"],
    ["absolutely expired", { absoluteExpiresAt: new Date(Date.now() - 1000) }, "session_expired"],
    ["revoked", { revokedAt: new Date(), revokeReason: "logout" }, "session_revoked"],
  ] as const) {
    it(`a CURRENT token of a ${label} session is refused and nothing is written`, async () => {
      const client = await signedIn();
      const { session } = await tokenOf(client.refreshToken!);
      await db.session.update({ where: { id: session.id }, data });
      const before = await snapshotDatabase(db);
      expect(await present(client).then(outcome)).toBe(`401 ${code}`);
      expect(await snapshotDatabase(db)).toEqual(before);
    });
  }

  it("a session that expires under a moved clock is refused by the fast path too", async () => {
    const client = await signedIn();
    const res = await runWithClockOffset(8 * 24 * 3600_000, () => present(client));
    expect(outcome(res)).toBe("401 session_expired");
  });

  it("a storm of 50: one fast rotation, 49 careful siblings, no revocation", async () => {
    const client = await signedIn();
    const shared = client.refreshToken!;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => present(new TestClient(), shared)),
    );
    expect(answers.map(outcome)).toEqual(Array(50).fill("ok"));
    const { session } = await tokenOf(shared);
    expect(session.revokedAt).toBeNull();
    expect(session.headGeneration).toBe(1);
    const family = await db.refreshToken.findMany({ where: { sessionId: session.id } });
    expect(family.filter((t) => t.usedAt !== null)).toHaveLength(1);
    expect(family.filter((t) => t.generation === 1)).toHaveLength(50);
    // Exactly one of them is the rotation child: issued at the instant its parent was spent.
    const spentAt = family.find((t) => t.usedAt !== null)!.usedAt!.getTime();
    expect(
      family.filter((t) => t.generation === 1 && t.issuedAt.getTime() === spentAt),
    ).toHaveLength(1);
  });

  it("50 parallel refreshes of two sibling branches: exactly one branch rotates, then theft is caught", async () => {
    const client = await signedIn();
    const parent = client.refreshToken!;
    const a = new TestClient("a");
    const b = new TestClient("b");
    expect(await present(a, parent).then(outcome)).toBe("ok");
    expect(await present(b, parent).then(outcome)).toBe("ok");
    // Both branches at the head, presented at once: one rotation (fast path) wins the
    // compare-and-set; every other presentation of either branch gets a sibling or is reuse.
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        present(new TestClient(), i % 2 ? a.refreshToken! : b.refreshToken!),
      ),
    );
    const { session } = await tokenOf(parent);
    const rotations = await db.refreshToken.count({
      where: { sessionId: session.id, generation: 1, usedAt: { not: null } },
    });
    expect(rotations).toBe(1);
    expect(answers.map(outcome)).toContain("401 refresh_token_reused");
    expect(session.revokeReason).toBe("refresh_token_reused");
  });
});
