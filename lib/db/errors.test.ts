import { describe, expect, it } from "vitest";
import { classifyDatabaseError } from "@/lib/db/errors";
import { Prisma } from "@/lib/db/generated/client";
import { DatabaseQueueTimeout } from "@/lib/db/queue-timeout";

function known(code: string, sqlState?: string) {
  return new Prisma.PrismaClientKnownRequestError("message with user@example.test in it", {
    code,
    clientVersion: "test",
    meta: sqlState ? { driverAdapterError: { cause: { originalCode: sqlState } } } : undefined,
  });
}

describe("classifyDatabaseError", () => {
  it.each([
    ["P1001", undefined, "P1001"],
    ["P2028", undefined, "P2028"],
    ["P2039", "57014", "P2039/57014"], // statement_timeout
    ["P2039", "55P03", "P2039/55P03"], // lock_timeout
    ["P2039", "57P01", "P2039/57P01"], // admin shutdown (server restart)
    ["P2039", "08006", "P2039/08006"], // connection failure
    ["pglite-queue-timeout", undefined, "pglite-queue-timeout"],
  ])("%s %s is an outage: 503", (code, sqlState, logged) => {
    expect(classifyDatabaseError(known(code, sqlState))).toEqual({
      unavailable: true,
      code: logged,
    });
  });

  it.each([
    ["P2002", undefined], // unique violation: a bug or a race the caller handles
    ["P2039", "42601"], // syntax error: a bug
    ["P2025", undefined], // record not found
  ])("%s %s is not an outage: 500", (code, sqlState) => {
    expect(classifyDatabaseError(known(code, sqlState))?.unavailable).toBe(false);
  });

  it("names only the code, never the message", () => {
    expect(JSON.stringify(classifyDatabaseError(known("P2039", "57014")))).not.toContain("example");
  });

  it("recognises driver errors that reach it unwrapped, and ignores everything else", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(classifyDatabaseError(refused)).toEqual({ unavailable: true, code: "ECONNREFUSED" });
    expect(classifyDatabaseError(new Error("timeout exceeded when trying to connect"))).toEqual({
      unavailable: true,
      code: "pg-connection",
    });
    expect(classifyDatabaseError(new DatabaseQueueTimeout())?.unavailable).toBe(true);
    expect(classifyDatabaseError(new TypeError("x is undefined"))).toBeNull();
    expect(classifyDatabaseError("a string")).toBeNull();
  });
});
