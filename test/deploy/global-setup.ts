/**
 * The deployment rig's shared setup: one production build in `.next-deploy` (skipped with
 * DEPLOY_PREBUILT=1; DEPLOY_DIST_DIR serves another) and one signing-key set, the same on every
 * instance.
 */
import type { TestProject } from "vitest/node";
import { buildApp, generateKeySet } from "@/scripts/app-server";

declare module "vitest" {
  export interface ProvidedContext {
    deploy: { distDir: string; signingKeys: string };
  }
}

/**
 * DEPLOY_DIST_DIR names another build of the same checkout to serve (`npm test` passes the fault
 * suite's `.next-faults`, built minutes earlier, with DEPLOY_PREBUILT=1: no third build).
 */
const DIST_DIR = process.env.DEPLOY_DIST_DIR || ".next-deploy";

export default function setup(project: TestProject) {
  if (!process.env.DEPLOY_PREBUILT) buildApp(DIST_DIR);
  project.provide("deploy", { distDir: DIST_DIR, signingKeys: generateKeySet() });
}
