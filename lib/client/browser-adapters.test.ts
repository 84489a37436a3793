import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createBrowserLifecycle,
  detectLocks,
  globalTimers,
  openBrowserChannel,
} from "./browser-adapters";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("outside a page (server rendering, tests)", () => {
  it("finds no lock manager, channel or lifecycle, and touches nothing", () => {
    vi.stubGlobal("navigator", {});
    expect(detectLocks()).toBeNull();
    expect(openBrowserChannel()).toBeNull();
    expect(createBrowserLifecycle()).toBeNull();
  });
});

describe("in a page", () => {
  function stubPage(visibilityState: "visible" | "hidden") {
    const document = Object.assign(new EventTarget(), { visibilityState });
    const window = new EventTarget();
    vi.stubGlobal("document", document);
    vi.stubGlobal("window", window);
    return { document, window };
  }

  it("uses navigator.locks where the browser has it", () => {
    const locks = { request: vi.fn() };
    vi.stubGlobal("navigator", { locks });
    expect(detectLocks()).toBe(locks);
  });

  it("wakes on focus, online and becoming visible, and not on becoming hidden", () => {
    const { document, window } = stubPage("hidden");
    const lifecycle = createBrowserLifecycle()!;
    const onWake = vi.fn();
    const unsubscribe = lifecycle.subscribe(onWake);

    expect(lifecycle.isVisible()).toBe(false);
    document.dispatchEvent(new Event("visibilitychange"));
    expect(onWake).not.toHaveBeenCalled();
    document.visibilityState = "visible";
    document.dispatchEvent(new Event("visibilitychange"));
    window.dispatchEvent(new Event("focus"));
    window.dispatchEvent(new Event("online"));
    expect(onWake).toHaveBeenCalledTimes(3);

    unsubscribe();
    window.dispatchEvent(new Event("focus"));
    expect(onWake).toHaveBeenCalledTimes(3);
  });

  it("opens the tabs' channel where BroadcastChannel exists", () => {
    stubPage("visible");
    const channel = openBrowserChannel();
    expect(channel).toBeInstanceOf(BroadcastChannel);
    (channel as BroadcastChannel).close();
  });
});

describe("globalTimers", () => {
  it("follows timers installed after it was made (fake time in tests)", () => {
    const timers = globalTimers();
    vi.useFakeTimers();
    const tick = vi.fn();
    const handle = timers.setTimeout(tick, 1_000);
    timers.clearTimeout(handle);
    timers.setTimeout(tick, 1_000);
    vi.advanceTimersByTime(1_000);
    expect(tick).toHaveBeenCalledOnce();
  });
});
