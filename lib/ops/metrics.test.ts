import { describe, expect, it } from "vitest";
import { routeLabel } from "@/lib/ops/metrics";

describe("routeLabel", () => {
  it("names a route by its folder pattern, never by the values in the path", () => {
    const id = "0b5c2a8e-1f7d-4c1e-9a51-3c8f3b9d2e10";
    expect(routeLabel(`/api/auth/sessions/${id}`, { id })).toBe("/api/auth/sessions/[id]");
    expect(routeLabel("/api/auth/sessions/not-a-uuid", { id: "not-a-uuid" })).toBe(
      "/api/auth/sessions/[id]",
    );
    expect(routeLabel("/api/whoami", {})).toBe("/api/whoami");
    expect(routeLabel("/api/auth/sessions/sessions", { id: "sessions" })).toBe(
      "/api/auth/sessions/[id]",
    );
  });

  it("collapses a catch-all's segments, however many a client invents", () => {
    expect(routeLabel("/api/a/b/c", { path: ["a", "b", "c"] })).toBe("/api/[...path]");
    expect(routeLabel("/api/x", { path: ["x"] })).toBe("/api/[...path]");
    expect(routeLabel("/api/%F0%9F%92%A5", { path: ["💥"] })).toBe("/api/[...path]");
  });
});
