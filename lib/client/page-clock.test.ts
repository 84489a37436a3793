import { afterEach, describe, expect, it } from "vitest";
import { getPageClockSkew, restorePageClock, skewPageClock } from "./page-clock";

afterEach(() => restorePageClock());

describe("page clock skew", () => {
  it("moves Date.now by the skew and back", () => {
    const realNow = Date.now;
    skewPageClock(600_000);
    expect(Date.now() - realNow()).toBeGreaterThanOrEqual(599_990);
    expect(Date.now() - realNow()).toBeLessThanOrEqual(600_010);
    expect(getPageClockSkew()).toBe(600_000);

    restorePageClock();
    expect(Date.now).toBe(realNow);
    expect(getPageClockSkew()).toBe(0);
  });

  it("a second skew replaces the first instead of adding to it", () => {
    const realNow = Date.now;
    skewPageClock(600_000);
    skewPageClock(-60_000);
    expect(Math.abs(Date.now() - realNow() + 60_000)).toBeLessThanOrEqual(10);
  });
});
