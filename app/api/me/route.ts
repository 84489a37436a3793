import { NextResponse } from "next/server";
import { defineRoute } from "@/lib/http/route";
import { getPublicUser } from "@/lib/users";

/** GET /api/me (Bearer) → { user }. */
export const GET = defineRoute({ auth: "bearer" }, async ({ claims }) =>
  NextResponse.json({ user: await getPublicUser(claims.sub) }),
);
