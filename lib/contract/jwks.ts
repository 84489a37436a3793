/** `GET /.well-known/jwks.json`: the server's public signing keys (never a private member). */
import { z } from "zod";

export const publicJwkSchema = z.looseObject({
  kty: z.string(),
  crv: z.string().optional(),
  x: z.string().optional(),
  y: z.string().optional(),
  n: z.string().optional(),
  e: z.string().optional(),
  kid: z.string().optional(),
  alg: z.string().optional(),
  use: z.string().optional(),
});

export type PublicJwk = z.infer<typeof publicJwkSchema>;

/** The document; each key is checked with `publicJwkSchema` by whoever reads it. */
export const jwksBodySchema = z.object({ keys: z.array(z.unknown()) });
