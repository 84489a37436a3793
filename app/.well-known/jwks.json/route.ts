import { NextResponse } from "next/server";
import { getSigningKeys } from "@/lib/auth/keys";
import { defineRoute } from "@/lib/http/route";

/** GET /.well-known/jwks.json → the public keys that verify our access tokens. */
export const GET = defineRoute({ auth: "none" }, async () => {
  const { publicJwks } = await getSigningKeys();
  return NextResponse.json(publicJwks, {
    headers: { "Cache-Control": "public, max-age=300" },
  });
});
