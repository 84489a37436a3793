import { describe, expect, it } from "vitest";
import type { AuthEvent, AuthEventData } from "@/lib/client/auth-events";
import { describeEvent, eventAttributes, EVENT_KINDS, kindOf } from "./event-kinds";

const at = (data: AuthEventData): AuthEvent => ({ ...data, seq: 1, at: 0, elapsed: 3 });

describe("timeline entries", () => {
  it("are worded from the event's data", () => {
    expect(
      describeEvent(at({ type: "unauthorized", path: "/api/me", code: "token_expired" })),
    ).toBe("/api/me: token_expired");
    expect(describeEvent(at({ type: "unauthorized", path: "/api/me", code: null }))).toBe(
      "/api/me: no code",
    );
    expect(
      describeEvent(at({ type: "scenario", marker: "start", scenario: "expire", text: "Go" })),
    ).toBe("▶ Go");
    expect(
      describeEvent(
        at({ type: "broadcast_received", message: { kind: "signed_out", reason: "logged_out" } }),
      ),
    ).toBe("signed out: logged_out");
  });

  it("carry the data as data-* attributes, flattened and kebab-cased, without seq and times", () => {
    expect(
      eventAttributes(
        at({
          type: "scenario",
          marker: "verdict",
          scenario: "skew",
          text: "clock +10 min",
          tone: "ok",
          facts: { refreshesFirst: 1, skewed: true },
        }),
      ),
    ).toEqual({
      "data-type": "scenario",
      "data-marker": "verdict",
      "data-scenario": "skew",
      "data-text": "clock +10 min",
      "data-tone": "ok",
      "data-fact-refreshes-first": "1",
      "data-fact-skewed": "true",
    });
    expect(
      eventAttributes(
        at({ type: "broadcast_sent", message: { kind: "session", token: "…abcdef" } }),
      ),
    ).toEqual({
      "data-type": "broadcast_sent",
      "data-message-kind": "session",
      "data-message-token": "…abcdef",
    });
  });

  it("an event type from another build reads as a scenario marker", () => {
    const odd = { seq: 1, at: 0, type: "renamed_event" } as unknown as AuthEvent;
    expect(kindOf(odd)).toBe(EVENT_KINDS.scenario);
  });
});
