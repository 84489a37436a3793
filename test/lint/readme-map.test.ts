/**
 * README's "Where to read the code" map stays true: every file it names exists, and it names the
 * two files where the refresh cookie is actually set (issue 27).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
const section = readme.slice(
  readme.indexOf("## Where to read the code"),
  readme.indexOf("\n## ", readme.indexOf("## Where to read the code") + 1),
);
const named = [...section.matchAll(/`([\w@()./[\]-]+\.(?:ts|tsx|prisma))`/g)].map((m) => m[1]!);

describe("README's map of the code", () => {
  it("names only files that exist", () => {
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((file) => !fs.existsSync(path.join(root, file)))).toEqual([]);
  });

  it("names where the refresh cookie is set", () => {
    expect(named).toEqual(
      expect.arrayContaining(["lib/http/session-response.ts", "lib/auth/cookies.ts"]),
    );
  });
});
