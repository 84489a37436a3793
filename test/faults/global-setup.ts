/**
 * The fault suite's shared setup: one build in `.next-faults` (skipped with FAULTS_PREBUILT=1)
 * and one signing-key set, so every instance accepts every other's tokens.
 */
import type { TestProject } from "vitest/node";
import { buildApp, generateKeySet } from "@/scripts/app-server";

declare module "vitest" {
  export interface ProvidedContext {
    faults: { distDir: string; signingKeys: string };
  }
}

const DIST_DIR = ".next-faults";

export default function setup(project: TestProject) {
  if (!process.env.FAULTS_PREBUILT) buildApp(DIST_DIR);
  project.provide("faults", { distDir: DIST_DIR, signingKeys: generateKeySet() });
}
