import { NextResponse } from "next/server";
import { auth } from "../../../auth.js";

/** The peer's protected route: Auth.js's documented session check, `await auth()`. */
export async function GET() {
  const session = await auth();
  if (!session?.user) {
    return NextResponse.json({ error: { code: "unauthenticated" } }, { status: 401 });
  }
  return NextResponse.json({ userId: session.user.id, expires: session.expires });
}
