import { NextResponse } from "next/server";

/** GET /api/health → 200 {ok:true}. No auth, no database: the benchmark's baseline. */
export function GET() {
  return NextResponse.json({ ok: true });
}
