/**
 * The bench's per-thread CPU reading: the login and rotation rows split a request's CPU into the
 * server's main thread (Next, the embedded database) and its other threads (the hash, GC).
 */
import { describe, expect, it } from "vitest";
import {
  type Measurement,
  readCpuSeconds,
  readMainThreadCpuSeconds,
  threadSplitUs,
} from "./measure";

describe("readMainThreadCpuSeconds", () => {
  it("counts work done on the main thread, as part of the whole process's CPU", () => {
    const before = readMainThreadCpuSeconds(process.pid);
    const start = process.cpuUsage();
    // Work on this thread until the process has used 200 ms of CPU.
    let spins = 0;
    for (;;) {
      const used = process.cpuUsage(start);
      if (used.user + used.system >= 200_000) break;
      spins += Math.sqrt(spins + 1);
    }
    const main = readMainThreadCpuSeconds(process.pid) - before;
    expect(spins).toBeGreaterThan(0);
    expect(main).toBeGreaterThanOrEqual(0.15);
    expect(readMainThreadCpuSeconds(process.pid)).toBeLessThanOrEqual(readCpuSeconds(process.pid));
  });

  it("reads 0 for a process that does not exist", () => {
    expect(readMainThreadCpuSeconds(2 ** 30)).toBe(0);
  });
});

describe("threadSplitUs", () => {
  const sample = (requests: number, cpuSeconds: number, mainThreadCpuSeconds: number) =>
    ({ requests, cpuSeconds, mainThreadCpuSeconds }) as Measurement;

  it("gives the median microseconds per request on the main thread and on the others", () => {
    const split = threadSplitUs([
      sample(100, 2, 0.8), // 8000 main + 12000 others
      sample(200, 3, 1.0), // 5000 + 10000
      sample(50, 1, 0.5), // 10000 + 10000
    ]);
    expect(split.mainUs).toBeCloseTo(8000);
    expect(split.othersUs).toBeCloseTo(10000);
  });
});
