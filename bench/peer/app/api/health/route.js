import { NextResponse } from "next/server";

/** The peer's baseline, identical to the main app's /api/health. */
export function GET() {
  return NextResponse.json({ ok: true });
}
