import { describe, expect, it } from "vitest";
import { ServerBusy } from "@/lib/auth/errors";
import { HashPool } from "@/lib/auth/hash-pool";

/** A job that runs until the test releases it, and says when it started. */
function controllableJob(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    job: async () => {
      log.push(name);
      await done;
      return name;
    },
    release: () => release(),
  };
}

describe("HashPool", () => {
  it("runs at most `concurrency` jobs, queues up to the limit, and refuses the rest at once", async () => {
    const pool = new HashPool(2, 4);
    const log: string[] = [];
    const jobs = Array.from({ length: 8 }, (_, i) => controllableJob(log, `job${i}`));
    const results = jobs.map((j) =>
      pool.run("sign-in", j.job).then(
        (v) => v,
        (e: unknown) => e,
      ),
    );
    // Jobs 6 and 7 are refused while jobs 0 and 1 are still running: nothing has completed,
    // so the 503 cannot have waited for a slot.
    const refused = await Promise.all([results[6], results[7]]);
    for (const error of refused) expect(error).toBeInstanceOf(ServerBusy);
    expect((refused[0] as ServerBusy).headers["Retry-After"]).toBe("1");
    expect(pool.stats()).toMatchObject({ running: 2, waiting: 4, completed: 0, refused: 2 });
    expect(log).toEqual(["job0", "job1"]);

    for (const j of jobs) j.release();
    expect(await Promise.all(results.slice(0, 6))).toEqual([
      "job0",
      "job1",
      "job2",
      "job3",
      "job4",
      "job5",
    ]);
    expect(pool.stats()).toMatchObject({
      running: 0,
      waiting: 0,
      completed: 6,
      maxRunning: 2,
      maxWaiting: 4,
    });
  });

  it("lets sign-up work fill only half the line and serves sign-in work first", async () => {
    const pool = new HashPool(1, 4);
    const log: string[] = [];
    const running = controllableJob(log, "running");
    const first = pool.run("sign-up", running.job);
    const signUps = Array.from({ length: 4 }, (_, i) => controllableJob(log, `up${i}`));
    const upResults = signUps.map((j) => pool.run("sign-up", j.job).catch((e: unknown) => e));
    // Half of a line of 4: two sign-ups wait, the other two are refused.
    expect(await upResults[2]).toBeInstanceOf(ServerBusy);
    expect(await upResults[3]).toBeInstanceOf(ServerBusy);
    // Sign-in work still has room, and jumps the sign-ups already waiting.
    const signIn = controllableJob(log, "in0");
    const inResult = pool.run("sign-in", signIn.job);
    expect(pool.stats().waiting).toBe(3);

    running.release();
    signIn.release();
    for (const j of signUps) j.release();
    await Promise.all([first, inResult, upResults[0], upResults[1]]);
    expect(log).toEqual(["running", "in0", "up0", "up1"]);
  });

  it("a ticket holds its place from the request's start, and a released one frees it", async () => {
    const pool = new HashPool(1, 1);
    const log: string[] = [];
    const first = pool.admit("sign-in");
    const second = pool.admit("sign-in");
    // Both places are taken although nothing runs yet (their requests are doing database work).
    expect(() => pool.admit("sign-in")).toThrow(ServerBusy);
    expect(pool.stats()).toMatchObject({ running: 0, pending: 2, refused: 1 });
    second.release();
    second.release(); // idempotent
    const third = pool.admit("sign-in");
    expect(pool.stats()).toMatchObject({ pending: 2, maxAdmitted: 2 });

    const a = controllableJob(log, "a");
    const b = controllableJob(log, "b");
    const ran = first.run(a.job);
    const queued = third.run(b.job);
    first.release(); // after run: no effect
    expect(pool.stats()).toMatchObject({ running: 1, pending: 1, waiting: 1 });
    await expect(first.run(async () => "again")).rejects.toThrow(/one job/);
    a.release();
    b.release();
    expect(await Promise.all([ran, queued])).toEqual(["a", "b"]);
    expect(pool.stats()).toMatchObject({ running: 0, pending: 0, waiting: 0, completed: 2 });
  });

  it("frees the slot when a job throws", async () => {
    const pool = new HashPool(1, 0);
    await expect(pool.run("sign-in", () => Promise.reject(new Error("boom")))).rejects.toThrow(
      "boom",
    );
    await expect(pool.run("sign-in", async () => "next")).resolves.toBe("next");
    expect(pool.stats()).toMatchObject({ running: 0, completed: 2 });
  });
});
