/**
 * Every example in a README runs as written (issue 27): the TypeScript blocks that hold a test are
 * written out as spec files before Playwright collects its tests, so a README whose example stops
 * passing fails the suite instead of the next reader.
 *
 * A block may name its file in its first line (`// tests/first.spec.ts`); others get
 * `example-<n>.spec.ts`. Blocks without a `test(` call (config snippets) are not specs.
 */
import fs from "node:fs";
import path from "node:path";

export interface ReadmeExample {
  /** The file name the spec is written to. */
  file: string;
  source: string;
}

/** The runnable examples of a Markdown document, in order. */
export function extractExamples(markdown: string, suffix = ".spec.ts"): ReadmeExample[] {
  const blocks = [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks
    .filter((source) => /^\s*test\(/m.test(source))
    .map((source, index) => {
      const named = /^\/\/ (?:\S+\/)?([\w.-]+\.spec\.ts)\s*$/m.exec(source.split("\n")[0] ?? "");
      const base = named ? named[1]!.replace(/\.spec\.ts$/, "") : `example-${index + 1}`;
      return { file: `${base}${suffix}`, source };
    });
}

/**
 * Writes the examples of `readme` into `directory` (created), removing stale ones. Writes only
 * files whose content changed: Playwright loads its config in every worker.
 */
export function writeReadmeExamples(
  readme: string,
  directory: string,
  suffix = ".spec.ts",
): ReadmeExample[] {
  const examples = extractExamples(fs.readFileSync(readme, "utf8"), suffix);
  if (examples.length === 0) throw new Error(`${readme} has no runnable example any more.`);
  fs.mkdirSync(directory, { recursive: true });
  const wanted = new Set(examples.map((e) => e.file));
  for (const name of fs.readdirSync(directory)) {
    if (name.endsWith(suffix) && !wanted.has(name)) fs.rmSync(path.join(directory, name));
  }
  for (const { file, source } of examples) {
    const target = path.join(directory, file);
    const header = `// Generated from ${path.basename(readme)} by readme-examples.ts: edit the README, not this file.\n`;
    const content = header + source;
    if (fs.existsSync(target) && fs.readFileSync(target, "utf8") === content) continue;
    const partial = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(partial, content);
    fs.renameSync(partial, target);
  }
  return examples;
}
