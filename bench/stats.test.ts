import { describe, expect, it } from "vitest";
import {
  cpuMicrosPerOp,
  formatSpread,
  hashBoundPerSecond,
  judge,
  median,
  pairedRatios,
  roundOrder,
  spreadOf,
} from "./stats";

describe("median", () => {
  it("takes the middle of an odd count and the mean of the middle two of an even one", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it("refuses no values instead of answering NaN", () => {
    expect(() => median([])).toThrow(/no values/);
  });
});

describe("spreadOf and pairedRatios", () => {
  it("reports median, range and count", () => {
    expect(spreadOf([0.9, 1.1, 1.0])).toEqual({ median: 1, min: 0.9, max: 1.1, n: 3 });
  });

  it("divides each round's pair, not the medians of each side", () => {
    // Medians of each side would give 200 ÷ 200 = 1; the rounds say 0.5, 2 and 1.
    const r = pairedRatios([100, 400, 200], [200, 200, 200]);
    expect(r).toEqual({ median: 1, min: 0.5, max: 2, n: 3 });
  });

  it("drops rounds whose measurement failed", () => {
    expect(pairedRatios([50, NaN, 60, 10], [100, 100, 100, 0])).toEqual({
      median: 0.55,
      min: 0.5,
      max: 0.6,
      n: 2,
    });
  });
});

describe("roundOrder", () => {
  it("alternates forward and backward so drift cancels", () => {
    expect(roundOrder(["a", "b", "c"], 0)).toEqual(["a", "b", "c"]);
    expect(roundOrder(["a", "b", "c"], 1)).toEqual(["c", "b", "a"]);
    expect(roundOrder(["a", "b", "c"], 2)).toEqual(["a", "b", "c"]);
  });
});

describe("CPU arithmetic", () => {
  it("counts user and system time per operation", () => {
    expect(cpuMicrosPerOp({ user: 900, system: 100 }, 10)).toBe(100);
    expect(() => cpuMicrosPerOp({ user: 1, system: 0 }, 0)).toThrow();
  });

  it("bounds logins by cores over the verify's CPU time", () => {
    expect(hashBoundPerSecond(2, 25_000)).toBe(80);
  });
});

describe("judge", () => {
  it("compares in the goal's direction, target included", () => {
    expect(judge({ name: "r", figure: 0.5, target: 0.5, direction: "atLeast" })).toBe("met");
    expect(judge({ name: "r", figure: 0.49, target: 0.5, direction: "atLeast" })).toBe("not met");
    expect(judge({ name: "m", figure: 300, target: 300, direction: "atMost" })).toBe("met");
    expect(judge({ name: "m", figure: 301, target: 300, direction: "atMost" })).toBe("not met");
  });

  it("says when a figure was not measured", () => {
    expect(judge({ name: "pg", figure: null, target: 1, direction: "atLeast" })).toBe(
      "not measured",
    );
    expect(judge({ name: "pg", figure: NaN, target: 1, direction: "atLeast" })).toBe(
      "not measured",
    );
  });
});

describe("formatSpread", () => {
  it("shows the range only when rounds disagreed", () => {
    expect(formatSpread({ median: 0.5, min: 0.4, max: 0.61, n: 3 })).toBe("**0.50** (0.40–0.61)");
    expect(formatSpread({ median: 0.5, min: 0.5, max: 0.5, n: 1 })).toBe("0.50");
    expect(formatSpread(undefined)).toBe("—");
  });
});
