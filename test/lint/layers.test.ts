/**
 * The layer rules in eslint.config.mjs are only worth something if a violation
 * fails `npm run lint`. Each case lints a planted import under a real path of
 * the layer it belongs to, with the project's own config.
 */
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint();

async function restrictedImportErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === "no-restricted-imports")
    .map((m) => m.message);
}

describe("layer rules (npm run lint)", () => {
  it.each([
    ["components/notes/planted.tsx", `import { getDb } from "@/lib/db/client";`],
    ["components/notes/planted.tsx", `import { Prisma } from "@/lib/db/generated/client";`],
    ["lib/client/planted.ts", `import { verifyAccessToken } from "@/lib/auth/tokens";`],
    ["lib/client/planted.ts", `import { getEnv } from "@/lib/env";`],
    ["components/ui/planted.tsx", `import { withErrorHandling } from "@/lib/http/respond";`],
    ["lib/auth/planted.ts", `import { Button } from "@/components/ui/button";`],
    ["lib/auth/planted.ts", `import { getAuthClient } from "@/lib/client/auth-client";`],
    ["lib/db/planted.ts", `import { currentTime } from "@/lib/auth/clock";`],
    ["app/api/planted/route.ts", `import { getDb } from "@/lib/db/client";`],
    ["lib/auth/planted.ts", `import { getDb } from "../db/client";`],
    // The development area: production code goes through the gate, browser code not at all.
    ["app/api/planted/route.ts", `import { loadDevScenarios } from "@/lib/dev/scenarios";`],
    ["lib/http/planted.ts", `import { parseTestClockOffset } from "@/lib/dev/test-clock";`],
    ["lib/auth/planted.ts", `import { setSessionPolicy } from "@/lib/dev/policy-panel";`],
    ["lib/db/planted.ts", `import { forgetEnv } from "@/lib/dev/process-state";`],
    ["app/(app)/planted/page.tsx", `import { captureRefreshToken } from "@/lib/dev/scenarios";`],
    ["lib/planted.ts", `import { forgetEnv } from "@/lib/dev/process-state";`],
    ["instrumentation.ts", `import { loadPolicyPanel } from "@/lib/dev";`],
    [
      "components/inspector/planted.tsx",
      `import { areDevScenariosEnabled } from "@/lib/dev/gate";`,
    ],
    ["lib/client/planted.ts", `import { TEST_CLOCK_HEADER } from "@/lib/dev/gate";`],
    ["lib/dev/planted.ts", `import { Inspector } from "@/components/inspector/inspector";`],
    // The wire contract is imported by both sides, so it imports nothing but zod.
    ["lib/contract/planted.ts", `import { getEnv } from "@/lib/env";`],
    ["lib/contract/planted.ts", `import "server-only";`],
    ["lib/contract/planted.ts", `import { decodeJwt } from "jose";`],
  ])("refuses %s: %s", async (filePath, code) => {
    expect(await restrictedImportErrors(filePath, `${code}\nexport {};\n`)).not.toEqual([]);
  });

  it.each([
    ["app/api/planted/route.ts", `import { listNotes } from "@/lib/notes";`],
    ["components/notes/planted.tsx", `import { createNoteSchema } from "@/lib/validation/notes";`],
    ["lib/auth/planted.ts", `import { getDb } from "@/lib/db/client";`],
    ["app/api/planted/route.ts", `import { loadDevScenarios } from "@/lib/dev/gate";`],
    ["lib/http/planted.ts", `import { readTestClockOffset } from "@/lib/dev/gate";`],
    ["lib/dev/planted.ts", `import { rotateRefreshToken } from "@/lib/auth/sessions";`],
    ["test/planted.test.ts", `import { forgetEnv } from "@/lib/dev/process-state";`],
    ["lib/contract/planted.ts", `import { z } from "zod";`],
    ["app/api/planted/route.ts", `import { ERROR_CODE } from "@/lib/contract";`],
    ["lib/client/planted.ts", `import { sessionBodySchema } from "@/lib/contract";`],
  ])("allows %s: %s", async (filePath, code) => {
    expect(await restrictedImportErrors(filePath, `${code}\nexport {};\n`)).toEqual([]);
  });
});
