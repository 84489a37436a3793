import { describe, expect, it, vi } from "vitest";
import { RETRY_DELAYS_MS, type Transient, withBackoff } from "./backoff";

const transient = (why: string): Transient => ({ kind: "transient", why });
const done = { kind: "done" as const };

function script(...answers: Array<Transient | typeof done>) {
  const attempt = vi.fn(async () => answers.shift() ?? done);
  return attempt;
}

describe("withBackoff", () => {
  it("returns the first answer that is not transient, waiting the listed delays before each retry", async () => {
    const attempt = script(transient("HTTP 503"), transient("network error"), done);
    const sleep = vi.fn(async () => {});
    const onRetry = vi.fn();

    await expect(withBackoff(attempt, { sleep, shouldGoOn: () => true, onRetry })).resolves.toBe(
      done,
    );

    expect(attempt).toHaveBeenCalledTimes(3);
    expect(sleep.mock.calls).toEqual([[RETRY_DELAYS_MS[0]], [RETRY_DELAYS_MS[1]]]);
    expect(onRetry.mock.calls).toEqual([
      ["HTTP 503", RETRY_DELAYS_MS[0]],
      ["network error", RETRY_DELAYS_MS[1]],
    ]);
  });

  it("gives up after one attempt per delay plus one, with the last transient answer", async () => {
    const attempt = vi.fn(async () => transient("down"));
    const result = await withBackoff(attempt, { sleep: async () => {}, shouldGoOn: () => true });
    expect(result).toEqual(transient("down"));
    expect(attempt).toHaveBeenCalledTimes(RETRY_DELAYS_MS.length + 1);
  });

  it("stops at once when it should not go on, before or after the wait", async () => {
    const before = vi.fn(async () => transient("down"));
    await withBackoff(before, { sleep: async () => {}, shouldGoOn: () => false });
    expect(before).toHaveBeenCalledTimes(1);

    let goOn = true;
    const after = vi.fn(async () => transient("down"));
    const sleep = async () => {
      goOn = false; // the session changed while we waited
    };
    await withBackoff(after, { sleep, shouldGoOn: () => goOn });
    expect(after).toHaveBeenCalledTimes(1);
  });
});
