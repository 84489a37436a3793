/**
 * Retention (lib/auth/retention.ts) deletes exactly what its policy says: ended sessions once
 * their grace has passed, spent tokens once their reuse-detection window has passed, never a
 * live session, never a head token, never a spent token that reuse detection still needs; and
 * four runners at once (the instances' background prunes and `npm run db:prune`) delete each row
 * once and nothing more. On PGlite and on PostgreSQL (DATABASE_URL).
 */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { RefreshTokenInvalid, RefreshTokenReused } from "@/lib/auth/errors";
import { EXTRA_PRUNE_STEPS, type RetentionPolicy, pruneExpired } from "@/lib/auth/retention";
import { AUTH_EVENTS_RETENTION_DAYS } from "@/lib/auth/security-events";
import { SECURITY_EVENT_KIND } from "@/lib/contract/security-events";
import { rotateRefreshToken, startSession } from "@/lib/auth/sessions";
import type { Db } from "@/lib/db/client";
import { uniqueEmail, useTestDatabase } from "@/test/harness";

let db: Db;
beforeAll(async () => {
  db = await useTestDatabase();
});

const POLICY: RetentionPolicy = {
  sessionGraceSeconds: 60,
  spentTokenGraceSeconds: 300,
  // Small batches, so a handful of rows already takes several batches.
  batchSize: 2,
  maxBatches: 1_000,
};

async function newUser(): Promise<string> {
  const user = await db.user.create({
    data: { email: uniqueEmail("retention"), passwordHash: "$argon2id$not-a-real-hash" },
  });
  return user.id;
}

/** Sessions here are bound to one made-up key (lib/auth/dpop.ts); `proof()` stands for its proofs. */
const DEVICE_JKT = "retention-test-device";
function proof() {
  return {
    jkt: DEVICE_JKT,
    jti: randomUUID(),
    issuedAt: new Date(),
    jtiExpiresAt: new Date(Date.now() + 15 * 60_000),
  };
}

async function newSession(userId: string) {
  return startSession(userId, { userAgent: "retention test", ip: null, dpopJkt: DEVICE_JKT });
}

const secondsAgo = (now: Date, seconds: number) => new Date(now.getTime() - seconds * 1000);

/** Every table the prune touches, for this user: what is left after a prune. */
async function snapshot(userId: string) {
  const sessions = await db.session.findMany({ where: { userId }, select: { id: true } });
  const tokens = await db.refreshToken.findMany({
    where: { session: { userId } },
    select: { id: true },
  });
  return {
    sessions: new Set(sessions.map((s) => s.id)),
    tokens: new Set(tokens.map((t) => t.id)),
  };
}

describe("pruneExpired", () => {
  it("deletes ended sessions past their grace and nothing else", async () => {
    const userId = await newUser();
    const now = new Date();
    const live = await newSession(userId);
    const byKind: Record<string, string> = {};
    const ended = {
      idleLongAgo: { idleExpiresAt: secondsAgo(now, 61) },
      idleJustNow: { idleExpiresAt: secondsAgo(now, 30) },
      absoluteLongAgo: { absoluteExpiresAt: secondsAgo(now, 61) },
      absoluteJustNow: { absoluteExpiresAt: secondsAgo(now, 59) },
      revokedLongAgo: { revokedAt: secondsAgo(now, 61), revokeReason: "logout" },
      revokedJustNow: { revokedAt: secondsAgo(now, 10), revokeReason: "logout" },
    };
    for (const [kind, data] of Object.entries(ended)) {
      const { session } = await newSession(userId);
      await db.session.update({ where: { id: session.id }, data });
      byKind[kind] = session.id;
    }
    const before = await snapshot(userId);
    expect(before.sessions.size).toBe(7);

    await pruneExpired({ now, policy: POLICY });

    const after = await snapshot(userId);
    expect([...after.sessions].sort()).toEqual(
      [
        live.session.id,
        byKind.idleJustNow!,
        byKind.absoluteJustNow!,
        byKind.revokedJustNow!,
      ].sort(),
    );
    // The deleted sessions' tokens went with them; the others' tokens are all still there.
    const left = await db.refreshToken.findMany({
      where: { id: { in: [...before.tokens] } },
      select: { sessionId: true },
    });
    expect(new Set(left.map((t) => t.sessionId))).toEqual(after.sessions);
    // The live session still rotates.
    await expect(rotateRefreshToken(live.refreshToken, proof())).resolves.toMatchObject({
      via: "rotated",
    });
  });

  it("deletes spent tokens past their window, never the head, and the session lives on", async () => {
    const userId = await newUser();
    const first = await newSession(userId);
    const second = await rotateRefreshToken(first.refreshToken, proof());
    const third = await rotateRefreshToken(second.refreshToken, proof());
    const tokens = await db.refreshToken.findMany({
      where: { sessionId: first.session.id },
      orderBy: { generation: "asc" },
    });
    expect(tokens.map((t) => t.usedAt !== null)).toEqual([true, true, false]);

    // Within the window: nothing of this session goes (the suite's other tokens may).
    const soon = new Date(Date.now() + 299_000);
    await pruneExpired({ now: soon, policy: POLICY });
    expect(await db.refreshToken.count({ where: { sessionId: first.session.id } })).toBe(3);

    // Past it: both spent tokens go, the head stays and still rotates.
    const later = new Date(tokens[1]!.usedAt!.getTime() + 301_000);
    const pruned = await pruneExpired({ now: later, policy: POLICY });
    expect(pruned.spentTokens).toBeGreaterThanOrEqual(2);
    const left = await db.refreshToken.findMany({ where: { sessionId: first.session.id } });
    expect(left.map((t) => t.id)).toEqual([tokens[2]!.id]);
    expect(await db.session.findUnique({ where: { id: first.session.id } })).not.toBeNull();
    await expect(rotateRefreshToken(third.refreshToken, proof())).resolves.toMatchObject({
      via: "rotated",
    });
    // A pruned spent token is unknown now: refused, but it revokes nothing.
    await expect(rotateRefreshToken(first.refreshToken, proof())).rejects.toBeInstanceOf(
      RefreshTokenInvalid,
    );
    const session = await db.session.findUniqueOrThrow({ where: { id: first.session.id } });
    expect(session.revokedAt).toBeNull();
  });

  it("keeps reuse detection for a token spent just before the prune", async () => {
    const userId = await newUser();
    const stolen = await newSession(userId);
    // The victim rotates twice, so the stolen copy is behind the head's parent: presenting it is
    // reuse whatever the grace.
    const next = await rotateRefreshToken(stolen.refreshToken, proof());
    await rotateRefreshToken(next.refreshToken, proof());

    await pruneExpired({ policy: POLICY });

    await expect(rotateRefreshToken(stolen.refreshToken, proof())).rejects.toBeInstanceOf(
      RefreshTokenReused,
    );
    const session = await db.session.findUniqueOrThrow({ where: { id: stolen.session.id } });
    expect(session.revokeReason).toBe("refresh_token_reused");
  });

  it("with four runners at once deletes each row once, and live sessions rotate meanwhile", async () => {
    const userId = await newUser();
    const now = new Date();
    const doomed: string[] = [];
    for (let i = 0; i < 9; i++) {
      const { session } = await newSession(userId);
      await db.session.update({
        where: { id: session.id },
        data: { revokedAt: secondsAgo(now, 120), revokeReason: "logout" },
      });
      doomed.push(session.id);
    }
    const live = await Promise.all([1, 2, 3].map(() => newSession(userId)));
    const cutoff = secondsAgo(now, POLICY.sessionGraceSeconds);
    const deletable = await db.session.count({
      where: {
        OR: [
          { revokedAt: { lt: cutoff } },
          { idleExpiresAt: { lt: cutoff } },
          { absoluteExpiresAt: { lt: cutoff } },
        ],
      },
    });

    // A step inside every batch that counts how many batches run at the same moment; it holds
    // its transaction open a little, so that without the lock the four would overlap.
    let inside = 0;
    let mostAtOnce = 0;
    EXTRA_PRUNE_STEPS.push({
      table: "probe",
      run: async (tx) => {
        inside += 1;
        mostAtOnce = Math.max(mostAtOnce, inside);
        await tx.$executeRaw`SELECT pg_sleep(0.02)`;
        inside -= 1;
        return 0;
      },
    });
    const [results, rotations] = await Promise.all([
      Promise.all([1, 2, 3, 4].map(() => pruneExpired({ now, policy: POLICY }))),
      Promise.all(live.map((s) => rotateRefreshToken(s.refreshToken, proof()))),
    ]).finally(() => EXTRA_PRUNE_STEPS.pop());

    expect(mostAtOnce).toBe(1);

    expect(rotations.map((r) => r.via)).toEqual(["rotated", "rotated", "rotated"]);
    const left = await db.session.findMany({ where: { id: { in: doomed } } });
    expect(left).toEqual([]);
    // Between them the four deleted every deletable row (ours and any other test's) and no other.
    const total = results.reduce((sum, r) => sum + r.sessions, 0);
    expect(total).toBe(deletable);
    const again = await pruneExpired({ now, policy: POLICY });
    expect(again.sessions).toBe(0);
    const liveLeft = await db.session.count({
      where: { id: { in: live.map((s) => s.session.id) }, revokedAt: null },
    });
    expect(liveLeft).toBe(3);
  });
});

describe("pruneExpired and auth_events", () => {
  it("deletes an account's security events past AUTH_EVENTS_RETENTION_DAYS, in its batches, and keeps newer ones", async () => {
    const userId = await newUser();
    const now = new Date();
    const day = 86_400;
    const ages = [AUTH_EVENTS_RETENTION_DAYS * day + 60, AUTH_EVENTS_RETENTION_DAYS * day + 1, 60];
    // Five old events (more than one batch of POLICY.batchSize) and one recent one.
    const rows = [ages[0], ages[0], ages[1], ages[1], ages[1], ages[2]].map((age) => ({
      userId,
      kind: SECURITY_EVENT_KIND.signedIn,
      createdAt: secondsAgo(now, age!),
    }));
    await db.authEvent.createMany({ data: rows });

    const result = await pruneExpired({ now, policy: POLICY });

    const left = await db.authEvent.findMany({ where: { userId }, select: { createdAt: true } });
    expect(left.map((e) => e.createdAt.getTime())).toEqual([secondsAgo(now, 60).getTime()]);
    // Other tests' old events may go in the same run; ours are at least these five.
    expect(result.other.auth_events).toBeGreaterThanOrEqual(5);
  });
});
