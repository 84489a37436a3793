/**
 * Prints a new signing key set for AUTH_SIGNING_KEYS.
 *
 *   npm run keys:generate                      a fresh set with one key
 *   npm run keys:generate -- --rotate "$OLD"   the old set with a new key added SECOND
 *                                              (stage 1 of a rotation, see lib/auth/keys.ts)
 *
 * The output is a private key: pipe it into your secret store, not a log.
 */
import { generateSigningJwk } from "../lib/auth/keys";

const args = process.argv.slice(2);
const rotateIndex = args.indexOf("--rotate");
const fresh = await generateSigningJwk();
if (rotateIndex === -1) {
  console.log(JSON.stringify({ keys: [fresh] }));
} else {
  const existing = JSON.parse(args[rotateIndex + 1] ?? "") as { keys: unknown[] };
  const [current, ...rest] = existing.keys;
  console.log(JSON.stringify({ keys: [current, fresh, ...rest] }));
}
