/**
 * The README examples that `npm test` runs (readme-examples.ts, issue 27) are really found: a
 * README whose fences changed shape would otherwise drop its examples from the run in silence.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { extractExamples } from "./readme-examples";

const read = (file: string) => fs.readFileSync(file, "utf8");

describe("README examples", () => {
  it("finds the kit README's first test under its own name", () => {
    const examples = extractExamples(read("packages/playwright-token-kit/README.md"));
    expect(examples.map((e) => e.file)).toEqual(["first.spec.ts"]);
    expect(examples[0]!.source).toContain('from "playwright-token-kit"');
  });

  it("finds e2e/README.md's start-to-finish example, importing the suite's fixtures", () => {
    const examples = extractExamples(read("e2e/README.md"), ".readme.spec.ts");
    expect(examples.length).toBeGreaterThanOrEqual(1);
    for (const { source } of examples) expect(source).toContain('from "./fixtures"');
  });

  it("skips blocks without a test, and numbers the unnamed ones", () => {
    const markdown = [
      "```ts",
      "export default {};",
      "```",
      "```ts",
      'test("a", () => {});',
      "```",
    ].join("\n");
    expect(extractExamples(markdown)).toEqual([
      { file: "example-1.spec.ts", source: 'test("a", () => {});\n' },
    ]);
  });
});
