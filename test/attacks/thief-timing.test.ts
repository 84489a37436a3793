/**
 * Attack suite: a thief who copied a refresh cookie and times its replays, and, beside it, the
 * guarantees the grace rule exists for, so nobody "fixes" the first by dropping the second.
 *
 * The rule (lib/auth/sessions.ts): only the token that produced the current head (its parent) is
 * accepted again, and only until a head-generation token is presented, within the grace bound.
 * Every replay here goes through the real refresh route on the real database; races are released
 * together with Promise.all. Time moves with the injected clock (runWithClockOffset), never by
 * sleeping.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { runWithClockOffset } from "@/lib/auth/clock";
import { hashRefreshToken } from "@/lib/auth/refresh-token-value";
import type { Db } from "@/lib/db/client";
import { type CallResult, TestClient, uniqueEmail, useTestDatabase } from "@/test/harness";

let db: Db;
beforeAll(async () => {
  db = await useTestDatabase();
});

async function signedIn(): Promise<TestClient> {
  const client = new TestClient("victim");
  const res = await client.call(register, "/api/auth/register", {
    json: { email: uniqueEmail("thief"), password: "correct horse battery" },
  });
  expect(res.status).toBe(201);
  return client;
}

/** Presents `refreshToken` (default: the client's own cookie), `offsetMs` in the future. */
function present(
  client: TestClient,
  refreshToken?: string | null,
  offsetMs = 0,
): Promise<CallResult<any>> {
  return runWithClockOffset(offsetMs, () =>
    client.call(refresh, "/api/auth/refresh", {
      method: "POST",
      ...(refreshToken !== undefined && { refreshToken }),
    }),
  );
}

async function sessionOf(raw: string) {
  const token = await db.refreshToken.findUniqueOrThrow({
    where: { tokenHash: hashRefreshToken(raw) },
    include: { session: true },
  });
  return token.session;
}

const outcome = (res: CallResult<any>) =>
  res.status === 200 ? "ok" : `${res.status} ${res.body.error.code}`;

describe("a thief with one copied cookie", () => {
  // Two strategies: keep replaying the copy, or keep using whatever the server last gave it.
  for (const strategy of ["replays the copy", "uses its newest token"] as const) {
    it(`who ${strategy} right after each of the victim's rotations is detected by the victim's second rotation`, async () => {
      const victim = await signedIn();
      const copy = victim.refreshToken!;
      const thief = new TestClient("thief");
      thief.refreshToken = copy;
      const thiefAnswers: string[] = [];
      const victimAnswers: string[] = [];

      for (let rotation = 1; rotation <= 2; rotation++) {
        victimAnswers.push(outcome(await present(victim)));
        thiefAnswers.push(
          outcome(await present(thief, strategy === "replays the copy" ? copy : undefined)),
        );
      }

      // The first replay may be served (it looks exactly like a lost answer's retry); the one
      // after the victim's second rotation is not, and the whole family is revoked.
      expect(victimAnswers).toEqual(["ok", "ok"]);
      expect(thiefAnswers[1]).toBe("401 refresh_token_reused");
      const session = await sessionOf(copy);
      expect(session.revokeReason).toBe("refresh_token_reused");
      // Nobody stays in: the victim's newest token and the thief's tokens are all dead.
      expect(outcome(await present(victim))).toBe("401 refresh_token_reused");
      expect(outcome(await present(new TestClient(), copy))).toBe("401 refresh_token_reused");
    });
  }

  it("whose replays race the victim's refreshes (released together) is detected by the second round", async () => {
    const victim = await signedIn();
    const copy = victim.refreshToken!;
    const thief = new TestClient("thief");
    thief.refreshToken = copy;

    const rounds: string[][] = [];
    for (let round = 1; round <= 2; round++) {
      const answers = await Promise.all([present(victim), present(thief)]);
      rounds.push(answers.map(outcome));
    }
    // Round one: one of them rotated and the other got a sibling (the rule cannot tell a racing
    // thief from a second tab). Round two: two branches in use, so someone is told reuse.
    expect(rounds[0]).toEqual(["ok", "ok"]);
    expect(rounds[1]).toContain("401 refresh_token_reused");
    expect((await sessionOf(copy)).revokeReason).toBe("refresh_token_reused");
  });

  it("two branches of one family both in use is theft, whichever presents first", async () => {
    for (const first of ["victim", "thief"] as const) {
      const victim = await signedIn();
      const thief = new TestClient("thief");
      const copy = victim.refreshToken!;
      expect(outcome(await present(victim))).toBe("ok"); // copy → the victim's branch
      expect(outcome(await present(thief, copy))).toBe("ok"); // copy again → a second branch
      expect(victim.refreshToken).not.toBe(thief.refreshToken);

      const [a, b] = first === "victim" ? [victim, thief] : [thief, victim];
      expect(outcome(await present(a))).toBe("ok");
      expect(outcome(await present(b))).toBe("401 refresh_token_reused");
      expect(outcome(await present(a))).toBe("401 refresh_token_reused");
    }
  });

  it("an unused sibling presented after the head moved on is reuse", async () => {
    const victim = await signedIn();
    const original = victim.refreshToken!;
    // A rotation whose answer was lost: its token was never delivered.
    const lost = new TestClient("lost answer");
    expect(outcome(await present(lost, original))).toBe("ok");
    const undelivered = lost.refreshToken!;
    // The retry gets a sibling, which the victim then uses: the head moves on.
    expect(outcome(await present(victim, original))).toBe("ok");
    expect(outcome(await present(victim))).toBe("ok");

    expect(outcome(await present(new TestClient(), undelivered))).toBe("401 refresh_token_reused");
    const session = await sessionOf(original);
    expect(session.revokeReason).toBe("refresh_token_reused");
    const reused = await db.refreshToken.findUniqueOrThrow({
      where: { tokenHash: hashRefreshToken(undelivered) },
    });
    expect(reused.reusedAt).not.toBeNull();
  });

  it("after detection the session stays dead, without a password change: every token, in a storm", async () => {
    const victim = await signedIn();
    const copy = victim.refreshToken!;
    const thief = new TestClient("thief");
    await present(victim);
    await present(thief, copy); // served: a sibling
    const thiefToken = thief.refreshToken!;
    await present(victim);
    expect(outcome(await present(thief))).toBe("401 refresh_token_reused");
    const revoked = await sessionOf(copy);
    const familyBefore = await db.refreshToken.findMany({
      where: { sessionId: revoked.id },
      select: { id: true, usedAt: true },
      orderBy: { id: "asc" },
    });

    // Every token the family ever had, presented again and again, all at once.
    const tokens = [copy, thiefToken, victim.refreshToken!];
    const storm = await Promise.all(
      Array.from({ length: 30 }, (_, i) => present(new TestClient(), tokens[i % tokens.length])),
    );
    expect(new Set(storm.map(outcome))).toEqual(new Set(["401 refresh_token_reused"]));
    const after = await sessionOf(copy);
    expect(after.revokedAt).toEqual(revoked.revokedAt);
    expect(after.headGeneration).toBe(revoked.headGeneration);
    // Nothing was issued or spent after the verdict.
    expect(
      await db.refreshToken.findMany({
        where: { sessionId: revoked.id },
        select: { id: true, usedAt: true },
        orderBy: { id: "asc" },
      }),
    ).toEqual(familyBefore);
  });
});

describe("the guarantees the grace keeps (must not regress)", () => {
  it("a lost answer's retry keeps the session 2.5 minutes later, and the token it gets works", async () => {
    const victim = await signedIn();
    const original = victim.refreshToken!;
    // The rotation commits, and its answer never arrives.
    expect(outcome(await present(new TestClient("lost answer"), original))).toBe("ok");

    const retry = await present(victim, original, 150_000);
    expect(outcome(retry)).toBe("ok");
    expect(outcome(await present(victim, undefined, 151_000))).toBe("ok");
    const session = await sessionOf(victim.refreshToken!);
    expect(session.revokedAt).toBeNull();
    expect(session.headGeneration).toBe(2);
  });

  it("a lost answer's retry after the bound (300 s) is reuse: the bound holds", async () => {
    const victim = await signedIn();
    const original = victim.refreshToken!;
    expect(outcome(await present(new TestClient("lost answer"), original))).toBe("ok");
    expect(outcome(await present(victim, original, 301_000))).toBe("401 refresh_token_reused");
  });

  it("a lost answer retried many times through an outage keeps the session", async () => {
    const victim = await signedIn();
    const original = victim.refreshToken!;
    // Every answer is lost: the client keeps presenting the token it has, for two minutes.
    for (let second = 0; second <= 120; second += 30) {
      expect(outcome(await present(new TestClient("lost"), original, second * 1000))).toBe("ok");
    }
    expect(outcome(await present(victim, original, 125_000))).toBe("ok");
    expect(outcome(await present(victim, undefined, 126_000))).toBe("ok");
    expect((await sessionOf(original)).revokedAt).toBeNull();
  });

  it("a burst of 40 parallel refreshes of one token: exactly one rotation, no revocation", async () => {
    const victim = await signedIn();
    const shared = victim.refreshToken!;
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => present(new TestClient(), shared)),
    );
    expect(answers.map(outcome)).toEqual(Array(40).fill("ok"));
    const session = await sessionOf(shared);
    expect(session.revokedAt).toBeNull();
    expect(session.headGeneration).toBe(1);
    const tokens = await db.refreshToken.findMany({ where: { sessionId: session.id } });
    expect(tokens.filter((t) => t.usedAt !== null).map((t) => t.generation)).toEqual([0]);
    expect(tokens.filter((t) => t.generation === 1)).toHaveLength(40);
    // Whichever answer the browser kept, its token refreshes.
    const kept = answers.at(-1)!.setCookies.join("\n");
    const raw = /refresh_token=([^;]+)/.exec(kept)![1]!;
    expect(outcome(await present(new TestClient(), raw))).toBe("ok");
  });

  it("many tabs sharing one cookie jar, refreshing together round after round, stay signed in", async () => {
    const victim = await signedIn();
    const jar = { token: victim.refreshToken! };
    for (let round = 0; round < 5; round++) {
      const presented = jar.token;
      const answers = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const tab = new TestClient("tab");
          const res = await present(tab, presented);
          // Like a browser: each answer's Set-Cookie replaces the jar's value as it arrives.
          if (res.status === 200) jar.token = tab.refreshToken!;
          return res;
        }),
      );
      expect(answers.map(outcome)).toEqual(Array(8).fill("ok"));
      expect(jar.token).not.toBe(presented);
    }
    const session = await sessionOf(jar.token);
    expect(session.revokedAt).toBeNull();
    expect(session.headGeneration).toBe(5);
  });
});
