/**
 * Counts the SQL statements one normal refresh rotation sends to PostgreSQL, as the server itself
 * logs them. Run against a database of your own (it creates a user and a session there):
 *
 *   psql … -c "ALTER DATABASE <db> SET log_statement = 'all'"      # new connections log every statement
 *   DATABASE_URL=postgresql://…/<db> npm run db:migrate
 *   DATABASE_URL=postgresql://…/<db> PG_LOG=/var/log/postgresql/postgresql-15-main.log \
 *     npx tsx --conditions=react-server scripts/count-rotation-statements.ts
 *
 * It rotates a fresh session's token once (the normal CURRENT path), then prints the statements the
 * log shows for that rotation's backend(s) between two markers it sends itself.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import { rotateRefreshToken, startSession } from "../lib/auth/sessions";
import { getDb } from "../lib/db/client";

const logPath = process.env.PG_LOG ?? "/var/log/postgresql/postgresql-15-main.log";
const db = await getDb();
const user = await db.user.create({
  data: { email: `count.${Date.now()}@example.test`, passwordHash: "x" },
});
// A bound session, as the app makes them; the proof's signature checks happen before the
// database (lib/auth/dpop.ts), so a verified proof's result stands in for one here.
const jkt = "count-rotation-statements-key";
const proof = () => ({
  jkt,
  jti: randomUUID(),
  issuedAt: new Date(),
  jtiExpiresAt: new Date(Date.now() + 600_000),
});
const { refreshToken } = await startSession(user.id, { userAgent: null, ip: null, dpopJkt: jkt });
// Warm the pool and Prisma's query engine with one rotation, then count the next one.
const warm = await rotateRefreshToken(refreshToken, proof());
const marker = `rotation-count-${Date.now()}`;
await db.$executeRawUnsafe(`SELECT '${marker}-start'`);
await rotateRefreshToken(warm.refreshToken, proof());
await db.$executeRawUnsafe(`SELECT '${marker}-end'`);
await new Promise((resolve) => setTimeout(resolve, 500)); // let the server flush its log
const log = await fs.readFile(logPath, "utf8");
const section = log.slice(log.indexOf(`${marker}-start`), log.indexOf(`${marker}-end`));
const database = new URL(process.env.DATABASE_URL ?? "postgresql://x/none").pathname.slice(1);
const statements = section
  .split("\n")
  .slice(1, -1)
  .filter((line) => line.includes(`@${database} `))
  .filter((line) => /\bLOG:\s+(statement|execute [^:]*):/.test(line));
for (const line of statements) console.log(line.replace(/^.*?LOG:\s+/, "").slice(0, 160));
console.log(`${statements.length} statement(s) for one rotation`);
await db.user.delete({ where: { id: user.id } });
await db.$disconnect();
