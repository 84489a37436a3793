import { describe, expect, it } from "vitest";
import { describeRetryAfter, readApiError, readRetryAfterSeconds } from "./api-error";

describe("Retry-After", () => {
  it("is read in seconds from a 429, and null when absent or a date", async () => {
    const throttled = new Response(
      JSON.stringify({ error: { code: "too_many_attempts", message: "Too many." } }),
      { status: 429, headers: { "Retry-After": "120" } },
    );
    expect((await readApiError(throttled)).retryAfterSeconds).toBe(120);
    expect(readRetryAfterSeconds(null)).toBeNull();
    expect(readRetryAfterSeconds("Wed, 21 Oct 2026 07:28:00 GMT")).toBeNull();
  });

  it("is described for a person", () => {
    expect(describeRetryAfter(1)).toBe("in 1 second");
    expect(describeRetryAfter(45)).toBe("in 45 seconds");
    expect(describeRetryAfter(61)).toBe("in 2 minutes");
    expect(describeRetryAfter(3600)).toBe("in 60 minutes");
    expect(describeRetryAfter(7200)).toBe("in about 2 hours");
  });
});
