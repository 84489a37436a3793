/**
 * Prints a new signing key set for AUTH_SIGNING_KEYS.
 *
 *   npm run keys:generate                             a fresh set with one ES256 key
 *   npm run keys:generate -- --alg Ed25519            … of another algorithm (ES256, Ed25519, RS256)
 *   npm run keys:generate -- --rotate "$OLD"          the old set with a new key added SECOND
 *                                                     (stage 1 of a rotation, see lib/auth/keys.ts)
 *   npm run keys:generate -- --alg ES256 --rotate "$OLD"
 *                                                     the same, moving to another algorithm
 *
 * Without --alg the key is ES256 (the default; ACCESS_TOKEN_ALG is not read, so this command
 * works where the app's configuration would refuse to start, e.g. before AUTH_SIGNING_KEYS exists).
 * The output is a private key: pipe it into your secret store, not a log.
 */
import {
  DEFAULT_ACCESS_TOKEN_ALG,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  generateSigningJwk,
} from "../lib/auth/keys";

const args = process.argv.slice(2);
const valueOf = (flag: string) => {
  const index = args.indexOf(flag);
  return index === -1 ? undefined : (args[index + 1] ?? "");
};

const requested = valueOf("--alg");
if (requested !== undefined && !SIGNING_ALGORITHMS.includes(requested as SigningAlgorithm)) {
  console.error(`--alg must be one of ${SIGNING_ALGORITHMS.join(", ")} (got "${requested}").`);
  process.exit(1);
}
const alg = (requested as SigningAlgorithm | undefined) ?? DEFAULT_ACCESS_TOKEN_ALG;
const fresh = await generateSigningJwk(alg);
const rotateFrom = valueOf("--rotate");
if (rotateFrom === undefined) {
  console.log(JSON.stringify({ keys: [fresh] }));
} else {
  const existing = JSON.parse(rotateFrom) as { keys: unknown[] };
  const [current, ...rest] = existing.keys;
  console.log(JSON.stringify({ keys: [current, fresh, ...rest] }));
}
