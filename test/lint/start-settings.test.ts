/**
 * `npm start` and the servers the benchmark and the multi-instance tests start (scripts/app-server.ts)
 * run with the same memory settings, so a measured peak is a deployment's peak.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { SERVER_MEMORY_SETTINGS } from "@/scripts/app-server";

const start = (
  JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts.start!;

describe("npm start's memory settings", () => {
  it("are the ones scripts/app-server.ts gives the servers it starts", () => {
    expect(start).toContain(
      `MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX:-${SERVER_MEMORY_SETTINGS.MALLOC_ARENA_MAX}}`,
    );
    expect(start).toContain(
      `MALLOC_MMAP_THRESHOLD_=\${MALLOC_MMAP_THRESHOLD_:-${SERVER_MEMORY_SETTINGS.MALLOC_MMAP_THRESHOLD_}}`,
    );
    expect(start).toContain(
      `NODE_OPTIONS="${SERVER_MEMORY_SETTINGS.NODE_OPTIONS} \${NODE_OPTIONS:-}" next start`,
    );
  });
});
