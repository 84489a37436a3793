import { NextResponse } from "next/server";
import { defineRoute } from "@/lib/http/route";

/**
 * GET /api/health → 200 {ok:true}. No auth, no database: the benchmark's baseline. Declared like
 * every route, so it pays the same wrapper as the routes it is compared with, and answers 503
 * while the instance drains (a load balancer stops sending it requests).
 */
export const GET = defineRoute({ auth: "none" }, () => NextResponse.json({ ok: true }));
