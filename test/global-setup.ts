/**
 * When DATABASE_URL names a PostgreSQL, the HTTP suite runs against a fresh
 * database created on that server for this run (and dropped after it), so it
 * never touches a database someone is using. Otherwise the suite uses PGlite.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    testDatabaseUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    project.provide("testDatabaseUrl", null);
    return;
  }
  const name = `jwt_test_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  project.provide("testDatabaseUrl", url.toString());
  console.log(`[test] PostgreSQL: fresh database ${name} on ${url.host}`);

  return async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  };
}
