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
 *   RUNNING   at most `concurrency` at a time (default: the number of cores).
 *   WAITING   in line for a slot, at most `queueLimit` in all. Sign-in work (login, the dummy
 *             verification, password change) is taken from the line before sign-up work
 *             (registration), and sign-up work may fill only half of the line.
 *   REFUSED   the line has no room for this job: `run` rejects with ServerBusy (503 +
 *             Retry-After) at once, before any hashing, so the client learns it now instead of
 *             after waiting for a queue it would never get through in time.
 *
 * The race it prevents: forty registrations arriving together ahead of one login. They would
 * otherwise all hash at once (the login shares the cores with forty hashes), or, with a plain
 * FIFO line, the login would wait behind all of them. Here at most half the line is
 * registrations, the login goes to its front, and it waits for at most the jobs already running.
 *
 * Why not p-limit/p-queue: neither refuses work when the line is full (p-queue can be asked
 * for its size, but then the check and the add are ours anyway), and the two-class line is the
 * point. The whole mechanism is the forty lines below.
 */
import os from "node:os";
import { ServerBusy } from "@/lib/auth/errors";
import { getEnv } from "@/lib/env";

/** Whose work a hash is: sign-in work is served first and may use the whole line. */
export type HashPriority = "sign-in" | "sign-up";

export type HashPoolStats = {
  running: number;
  waiting: number;
  completed: number;
  refused: number;
  /** High-water marks since the pool was created: what a test checks the bounds against. */
  maxRunning: number;
  maxWaiting: number;
};

export class HashPool {
  private running = 0;
  private readonly lines: Record<HashPriority, Array<() => void>> = {
    "sign-in": [],
    "sign-up": [],
  };
  private counts = { completed: 0, refused: 0, maxRunning: 0, maxWaiting: 0 };

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
  ) {
    if (!(concurrency >= 1)) throw new RangeError("concurrency must be at least 1");
    if (!(queueLimit >= 0)) throw new RangeError("queueLimit must not be negative");
  }

  /**
   * Runs `job` when a slot is free; rejects with ServerBusy at once when the line is full.
   *
   * @example
   * const hash = await pool.run("sign-up", () => argon2.hash(password));
   */
  run<T>(priority: HashPriority, job: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) return this.start(job);
    const waiting = this.waitingCount();
    if (!this.hasRoom(priority)) {
      this.counts.refused += 1;
      return Promise.reject(new ServerBusy());
    }
    return new Promise<void>((resolve) => {
      this.lines[priority].push(resolve);
      this.counts.maxWaiting = Math.max(this.counts.maxWaiting, waiting + 1);
    }).then(() => this.start(job, true));
  }

  /**
   * Throws ServerBusy now when a job of this priority would be refused now. Lets a request
   * give up before the database work that precedes its hash (a flood's excess then costs
   * nothing but its body); `run` still decides, since the line may fill in between.
   *
   * @example
   * getHashPool().assertRoom("sign-up");
   */
  assertRoom(priority: HashPriority): void {
    if (this.running < this.concurrency || this.hasRoom(priority)) return;
    this.counts.refused += 1;
    throw new ServerBusy();
  }

  stats(): HashPoolStats {
    return { running: this.running, waiting: this.waitingCount(), ...this.counts };
  }

  private hasRoom(priority: HashPriority): boolean {
    const room = priority === "sign-in" ? this.queueLimit : Math.floor(this.queueLimit / 2);
    return this.waitingCount() < room;
  }

  private waitingCount(): number {
    return this.lines["sign-in"].length + this.lines["sign-up"].length;
  }

  /** `handedOver`: the slot was passed on by a finishing job, which did not release it. */
  private async start<T>(job: () => Promise<T>, handedOver = false): Promise<T> {
    if (!handedOver) this.running += 1;
    this.counts.maxRunning = Math.max(this.counts.maxRunning, this.running);
    try {
      return await job();
    } finally {
      this.counts.completed += 1;
      const next = this.lines["sign-in"].shift() ?? this.lines["sign-up"].shift();
      // Hand the slot straight to the next job, so a newcomer cannot take it in between.
      if (next) next();
      else this.running -= 1;
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
