import "server-only";

/**
 * A bound on password-hashing work per process.
 *
 * An argon2id hash or verification costs about 15 ms of one core, by design. Without a bound,
 * every request that reaches one (a registration, a login, the dummy verification of an
 * unknown email) starts its hash at once, they all share the cores, and a flood of
 * registrations makes each of them, and every real user's login, wait seconds.
 *
 * States of a job:
 *   ADMITTED  its request holds a place (a ticket) while it does its database work (the
 *             throttle's write, the user lookup); released unused on a 429 or any other error.
 *   WAITING   in line for a slot (only while every slot is busy). Sign-in work (login, the
 *             dummy verification, password change) is taken from the line before sign-up work.
 *   RUNNING   at most `concurrency` at a time (default: the number of cores).
 *   REFUSED   no room: `admit`, called when the request starts, throws ServerBusy (503 +
 *             Retry-After) at once, before any database work or hashing, so the client learns
 *             it now instead of after waiting for a line it would never get through in time.
 * Places in all (admitted + waiting + running): `concurrency + queueLimit`; sign-up work is
 * admitted only while fewer than `concurrency + queueLimit / 2` are taken.
 *
 * The race it prevents: forty registrations arriving together ahead of one login. They would
 * otherwise all hash at once (the login shares the cores with forty hashes), or, with a plain
 * FIFO line, the login would wait behind all of them. Here at most half the line is
 * registrations, the login goes to its front, and it waits for at most the jobs already running.
 *
 * Why not p-limit/p-queue: neither refuses work when the line is full (p-queue can be asked
 * for its size, but then the check and the add are ours anyway), and the two-class line is the
 * point. The whole mechanism is the class below.
 */
import os from "node:os";
import { ServerBusy } from "@/lib/auth/errors";
import { getEnv } from "@/lib/env";

/** Whose work a hash is: sign-in work is served first and may use the whole line. */
export type HashPriority = "sign-in" | "sign-up";

export type HashPoolStats = {
  running: number;
  /** Admitted jobs not yet running (still doing their database work, or in line for a slot). */
  pending: number;
  /** Of those, the ones in line for a slot. */
  waiting: number;
  completed: number;
  refused: number;
  /** High-water marks since the pool was created: what a test checks the bounds against. */
  maxRunning: number;
  maxWaiting: number;
  maxAdmitted: number;
};

/** A place in the pool, taken when a request starts; it runs one job, or is released unused. */
export interface HashTicket {
  /** Runs `job` in a slot, waiting in line (sign-in first) while every slot is busy. */
  run<T>(job: () => Promise<T>): Promise<T>;
  /** Gives the place back if `run` was never called. Idempotent: call it in a `finally`. */
  release(): void;
}

export class HashPool {
  private running = 0;
  private pending = 0;
  private readonly lines: Record<HashPriority, Array<() => void>> = {
    "sign-in": [],
    "sign-up": [],
  };
  private counts = { completed: 0, refused: 0, maxRunning: 0, maxWaiting: 0, maxAdmitted: 0 };

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
  ) {
    if (!(concurrency >= 1)) throw new RangeError("concurrency must be at least 1");
    if (!(queueLimit >= 0)) throw new RangeError("queueLimit must not be negative");
  }

  /**
   * Takes a place now, at the start of a request, or throws ServerBusy (503) at once: before
   * any database work, so a flood's excess costs nothing but its body. At most `concurrency +
   * queueLimit` places exist (sign-up work may take only half of the line's).
   *
   * @example
   * const ticket = getHashPool().admit("sign-in");
   * try {
   *   await consumeLoginAttemptAndFindAccount({ email, ip, deviceId });
   *   ok = await ticket.run(() => verify(hash, password));
   * } finally {
   *   ticket.release();
   * }
   */
  admit(priority: HashPriority): HashTicket {
    const room = priority === "sign-in" ? this.queueLimit : Math.floor(this.queueLimit / 2);
    if (this.running + this.pending >= this.concurrency + room) {
      this.counts.refused += 1;
      throw new ServerBusy();
    }
    this.pending += 1;
    this.counts.maxAdmitted = Math.max(this.counts.maxAdmitted, this.running + this.pending);
    let state: "admitted" | "used" | "released" = "admitted";
    return {
      run: <T>(job: () => Promise<T>) => {
        if (state !== "admitted") return Promise.reject(new Error("a hash ticket runs one job"));
        state = "used";
        return this.runAdmitted(priority, job);
      },
      release: () => {
        if (state !== "admitted") return;
        state = "released";
        this.pending -= 1;
      },
    };
  }

  /**
   * `admit` and `run` in one step, for work with nothing to do before its hash.
   *
   * @example
   * const hash = await pool.run("sign-up", () => argon2.hash(password));
   */
  run<T>(priority: HashPriority, job: () => Promise<T>): Promise<T> {
    try {
      return this.admit(priority).run(job);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  stats(): HashPoolStats {
    return {
      running: this.running,
      pending: this.pending,
      waiting: this.lines["sign-in"].length + this.lines["sign-up"].length,
      ...this.counts,
    };
  }

  private runAdmitted<T>(priority: HashPriority, job: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.pending -= 1;
      this.running += 1;
      return this.start(job);
    }
    // Every slot is busy, so whoever finishes next hands its slot to the front of the line.
    return new Promise<void>((resolve) => {
      this.lines[priority].push(resolve);
      const waiting = this.lines["sign-in"].length + this.lines["sign-up"].length;
      this.counts.maxWaiting = Math.max(this.counts.maxWaiting, waiting);
    }).then(() => this.start(job));
  }

  private async start<T>(job: () => Promise<T>): Promise<T> {
    this.counts.maxRunning = Math.max(this.counts.maxRunning, this.running);
    try {
      return await job();
    } finally {
      this.counts.completed += 1;
      const next = this.lines["sign-in"].shift() ?? this.lines["sign-up"].shift();
      if (next) {
        // Hand the slot straight over (running stays), so a newcomer cannot take it in between.
        this.pending -= 1;
        next();
      } else {
        this.running -= 1;
      }
    }
  }
}

const globalForPool = globalThis as typeof globalThis & {
  __hashPool?: { key: string; pool: HashPool };
};

/** This process's pool, sized by HASH_CONCURRENCY and HASH_QUEUE_LIMIT (lib/env.ts). */
export function getHashPool(): HashPool {
  const env = getEnv();
  const concurrency = env.HASH_CONCURRENCY ?? os.availableParallelism();
  const queueLimit = env.HASH_QUEUE_LIMIT ?? 4 * concurrency;
  const key = `${concurrency}/${queueLimit}`;
  // A changed configuration (tests) gets a new pool; jobs of the old one finish in the old one.
  if (globalForPool.__hashPool?.key !== key) {
    globalForPool.__hashPool = { key, pool: new HashPool(concurrency, queueLimit) };
  }
  return globalForPool.__hashPool.pool;
}
