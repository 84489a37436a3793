/**
 * The deployment rig's shared setup: one production build in `.next-deploy` (skipped with
 * DEPLOY_PREBUILT=1) and one signing-key set, the same on every instance.
 */
import type { TestProject } from "vitest/node";
import { buildApp, generateKeySet } from "@/scripts/app-server";

declare module "vitest" {
  export interface ProvidedContext {
    deploy: { distDir: string; signingKeys: string };
  }
}

const DIST_DIR = ".next-deploy";

export default function setup(project: TestProject) {
  if (!process.env.DEPLOY_PREBUILT) buildApp(DIST_DIR);
  project.provide("deploy", { distDir: DIST_DIR, signingKeys: generateKeySet() });
}
