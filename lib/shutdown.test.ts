import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetShutdownState } from "@/lib/dev/process-state";
import { beginShutdown, isDraining, registerShutdownCloser, trackRequest } from "./shutdown";

afterEach(() => {
  forgetShutdownState();
  vi.useRealTimers();
});

describe("graceful shutdown", () => {
  it("refuses new work at once, waits for in-flight requests, then closes and exits", async () => {
    const order: string[] = [];
    registerShutdownCloser("database", async () => void order.push("database closed"));
    const finished = trackRequest();
    const exit = vi.fn((code: number) => void order.push(`exit ${code}`));

    const done = beginShutdown({ timeoutMs: 60_000, exit, exitCode: 143 });
    expect(isDraining()).toBe(true);
    await Promise.resolve();
    expect(order).toEqual([]);

    order.push("request finished");
    finished();
    await done;
    expect(order).toEqual(["request finished", "database closed", "exit 143"]);
  });

  it("exits after its bound when a request never finishes, and a closer that hangs does not hold it", async () => {
    vi.useFakeTimers();
    registerShutdownCloser("listener", () => new Promise(() => {}));
    trackRequest(); // never finished
    const exit = vi.fn();

    void beginShutdown({ timeoutMs: 8_000, exit, exitCode: 143 });
    await vi.advanceTimersByTimeAsync(7_999);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
  });

  it("runs the closers once however many signals arrive", async () => {
    const close = vi.fn(async () => {});
    registerShutdownCloser("database", close);
    const exit = vi.fn();
    await Promise.all([
      beginShutdown({ timeoutMs: 1_000, exit }),
      beginShutdown({ timeoutMs: 1_000, exit }),
    ]);
    expect(close).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledTimes(1);
  });
});
