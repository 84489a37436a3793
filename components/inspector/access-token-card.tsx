"use client";

import { useEffect, useState } from "react";
import { Card } from "@/components/ui/card";
import { useAuthStore } from "@/lib/client/auth-store";
import {
  type InspectedJwt,
  type PublicJwk,
  findJwk,
  inspectJwt,
  verifyJwtSignature,
} from "@/lib/client/jwt-inspect";
import { API_PATH, ERROR_CODE } from "@/lib/contract";
import { formatDate, formatDuration, formatFromNow } from "./format";
import { useNow } from "./use-now";

const JWKS_PATH = API_PATH.jwks;

/** What each header parameter and claim is for: shown beside it, not only in a tooltip. */
const HEADER_NOTES: Record<string, string> = {
  alg: "The signature algorithm (ES256 by default; ACCESS_TOKEN_ALG). Each server key verifies only its own algorithm; the token never chooses.",
  kid: "Key id: which of the server's keys signed this. Looked up among the server's own keys, never fetched from anywhere the token names.",
  typ: "at+jwt (RFC 9068) marks an access token, so no other kind of JWT can pass as one.",
};

const CLAIM_NOTES: Record<string, string> = {
  iss: "Issuer: who signed it. The API accepts only its own origin here.",
  aud: "Audience: who the token is for. The API refuses tokens meant for anyone else.",
  sub: "Subject: your user id. Route handlers take the caller from here, with no database lookup.",
  sid: "Session id: the refresh-token family this token came from (the server's view below shows it).",
  iat: "Issued at, by the server's clock (seconds since 1970).",
  exp: `Expires at, by the server's clock. After it, the API answers 401 ${ERROR_CODE.tokenExpired} and the wrapper refreshes.`,
  jti: "JWT id: unique per token, so two tokens issued in the same second still differ.",
  cnf: "Confirmation (RFC 9449): jkt is the thumbprint of this browser's session key, the same as the session's below. The API takes this token only as Authorization: DPoP with a fresh proof signed by that key (each one is in the timeline under Requests), so a copy of the token alone is refused. Absent with ACCESS_TOKEN_BINDING=off or DPOP_BINDING=off.",
};

type KeyMatch =
  | { kind: "loading" }
  | { kind: "unavailable" }
  | { kind: "missing" }
  | { kind: "found"; key: PublicJwk; index: number; total: number };

type Verification = boolean | "unsupported" | null;

/**
 * The access token this tab holds, decoded: header, claims with what each means, the signature,
 * the key that made it (matched by `kid` against the server's JWKS, and checked here with Web
 * Crypto), and the time it has left.
 */
export function AccessTokenCard() {
  const token = useAuthStore((s) => s.accessToken);
  const expiresAt = useAuthStore((s) => s.accessTokenExpiresAt);
  const now = useNow(250);
  const decoded = token ? inspectJwt(token) : null;
  const kid = decoded?.header.kid;
  const [jwks, setJwks] = useState<{ body: unknown } | "unavailable" | null>(null);
  const [verified, setVerified] = useState<{ token: string; result: Verification } | null>(null);

  // The JWKS once, and again whenever a token names a key we have not seen (the server rotated).
  const knownKid = jwks && jwks !== "unavailable" ? findJwk(jwks.body, kid) !== null : false;
  useEffect(() => {
    if (typeof kid !== "string" || knownKid) return;
    let current = true;
    fetch(JWKS_PATH)
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then(
        (body: unknown) => current && setJwks({ body }),
        () => current && setJwks("unavailable"),
      );
    return () => {
      current = false;
    };
  }, [kid, knownKid]);

  const match: KeyMatch =
    jwks === null
      ? { kind: "loading" }
      : jwks === "unavailable"
        ? { kind: "unavailable" }
        : (() => {
            const found = findJwk(jwks.body, kid);
            return found ? { kind: "found", ...found } : { kind: "missing" };
          })();
  const matchedKey = match.kind === "found" ? match.key : null;

  useEffect(() => {
    if (!token || !decoded || !matchedKey) return;
    let current = true;
    verifyJwtSignature(decoded, matchedKey).then(
      (result) => current && setVerified({ token, result }),
      () => current && setVerified({ token, result: "unsupported" }),
    );
    return () => {
      current = false;
    };
    // `decoded` is derived from `token`; re-run only when the token or the key changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token, matchedKey]);

  if (!token) {
    return (
      <Card title="Access token" description="Held in this tab's memory only.">
        <p className="text-sm text-slate-500">No access token in memory.</p>
      </Card>
    );
  }
  if (!decoded) {
    return (
      <Card title="Access token" description="Held in this tab's memory only.">
        <p className="text-sm text-slate-600">
          This tab holds a token that is not a JWT, so there is nothing to decode.
        </p>
      </Card>
    );
  }

  const verification = verified?.token === token ? verified.result : null;
  return (
    <Card
      title="Access token"
      description="Held in this tab's memory only (a JavaScript variable, never storage or a cookie)."
    >
      <div className="space-y-5">
        <TokenLifetime decoded={decoded} expiresAt={expiresAt} now={now} />
        <EncodedToken token={token} />
        <ClaimTable title="Header" values={decoded.header} notes={HEADER_NOTES} now={now} />
        <ClaimTable title="Payload" values={decoded.payload} notes={CLAIM_NOTES} now={now} />
        <section aria-labelledby="signature-heading" className="space-y-2">
          <h3 id="signature-heading" className="text-sm font-semibold text-slate-900">
            Signature
          </h3>
          <p
            className="font-mono text-xs break-all text-sky-800"
            data-testid="token-signature"
            title="Signature (the header's alg) over the first two segments (header.payload)"
          >
            {decoded.signature}
          </p>
          <SigningKey match={match} kid={kid} verification={verification} />
        </section>
      </div>
    </Card>
  );
}

function TokenLifetime({
  decoded,
  expiresAt,
  now,
}: {
  decoded: InspectedJwt;
  expiresAt: number | null;
  now: number;
}) {
  const exp = typeof decoded.payload.exp === "number" ? decoded.payload.exp * 1000 : null;
  const remaining = expiresAt === null ? null : expiresAt - now;
  const byExpClaim = exp === null ? null : exp - now;
  // The wrapper times tokens by its own send time + accessTokenExpiresIn; `exp` is server time.
  const clocksDisagree =
    remaining !== null && byExpClaim !== null && Math.abs(remaining - byExpClaim) > 5_000;
  const expired = remaining !== null && remaining <= 0;
  return (
    <div className="space-y-2">
      <p className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <span
          data-testid="inspector-countdown"
          aria-live="off"
          className={`font-mono text-3xl font-semibold tabular-nums ${expired ? "text-amber-700" : "text-slate-900"}`}
        >
          {remaining === null ? "—" : expired ? "expired" : formatDuration(remaining)}
        </span>
        <span className="text-sm text-slate-600">
          left, by this tab&apos;s clock: measured from when it asked, plus the lifetime the server
          sent (<code className="font-mono text-xs">accessTokenExpiresIn</code>).
        </span>
      </p>
      {byExpClaim !== null && (
        <p
          data-testid="exp-by-local-clock"
          data-expired={byExpClaim <= 0}
          className={`text-sm ${clocksDisagree ? "text-amber-800" : "text-slate-500"}`}
        >
          The <code className="font-mono text-xs">exp</code> claim read against this tab&apos;s
          clock says {byExpClaim > 0 ? "it expires" : "it expired"} {formatFromNow(exp!, now)}.
          {clocksDisagree &&
            " The two disagree: this tab's clock and the server's are apart. The wrapper never compares them, so it is not fooled."}
        </p>
      )}
    </div>
  );
}

function EncodedToken({ token }: { token: string }) {
  const [header, payload, signature] = token.split(".");
  return (
    <details className="group rounded-md bg-slate-50 px-3 py-2 ring-1 ring-slate-200 ring-inset">
      <summary className="cursor-pointer text-sm font-medium text-slate-700">
        The encoded token ({token.length} characters)
      </summary>
      <p className="mt-2 font-mono text-xs break-all">
        <span className="text-rose-700">{header}</span>.
        <span className="text-violet-700">{payload}</span>.
        <span className="text-sky-700">{signature}</span>
      </p>
      <p className="mt-2 text-xs text-slate-500">
        Three base64url segments: header, payload, signature. Anyone holding it can read the first
        two; only the server&apos;s private key can make the third.
      </p>
    </details>
  );
}

function ClaimTable({
  title,
  values,
  notes,
  now,
}: {
  title: string;
  values: Record<string, unknown>;
  notes: Record<string, string>;
  now: number;
}) {
  return (
    <section aria-label={title} className="space-y-2">
      <h3 className="text-sm font-semibold text-slate-900">{title}</h3>
      <dl className="divide-y divide-slate-100 rounded-md ring-1 ring-slate-200 ring-inset">
        {Object.entries(values).map(([name, value]) => (
          <div
            key={name}
            className="grid gap-1 px-3 py-2 sm:grid-cols-[5rem_1fr]"
            data-testid={`claim-${name}`}
          >
            <dt className="font-mono text-xs font-semibold text-slate-900" title={notes[name]}>
              {name}
            </dt>
            <dd className="min-w-0 space-y-0.5">
              <p className="font-mono text-xs break-all text-slate-800">{JSON.stringify(value)}</p>
              {(name === "iat" || name === "exp" || name === "nbf") &&
                typeof value === "number" && (
                  <p className="text-xs text-slate-600">
                    {formatDate(value * 1000)} ({formatFromNow(value * 1000, now)} by this
                    tab&apos;s clock)
                  </p>
                )}
              {notes[name] && <p className="text-xs text-slate-500">{notes[name]}</p>}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function SigningKey({
  match,
  kid,
  verification,
}: {
  match: KeyMatch;
  kid: unknown;
  verification: Verification;
}) {
  if (match.kind === "loading") {
    return <p className="text-sm text-slate-500">Looking up the key in {JWKS_PATH}…</p>;
  }
  if (match.kind === "unavailable") {
    return <p className="text-sm text-amber-800">Could not load {JWKS_PATH}.</p>;
  }
  if (match.kind === "missing") {
    return (
      <p className="text-sm text-amber-800">
        No key with kid <code className="font-mono text-xs">{String(kid)}</code> in {JWKS_PATH}.
      </p>
    );
  }
  return (
    <div className="space-y-1.5 text-sm text-slate-700" data-testid="signing-key">
      <p>
        Signed with key <strong className="font-medium">{match.index + 1}</strong> of {match.total}{" "}
        in <code className="font-mono text-xs">{JWKS_PATH}</code>, matched by{" "}
        <code className="font-mono text-xs">kid</code>: {match.key.kty} / {match.key.crv}, public
        part <code className="font-mono text-xs break-all">x = {match.key.x}</code>.
      </p>
      <p data-testid="signature-verification" data-result={String(verification)}>
        {verification === null && "Checking the signature in this browser…"}
        {verification === true && (
          <span className="text-emerald-800">
            ✓ This browser checked the signature with that public key (Web Crypto). Anyone can
            verify; only the server can sign.
          </span>
        )}
        {verification === false && (
          <span className="text-red-800">✗ The signature does not match that key.</span>
        )}
        {verification === "unsupported" && (
          <span className="text-slate-500">
            This browser&apos;s Web Crypto cannot check this algorithm&apos;s signatures; the server
            does.
          </span>
        )}
      </p>
    </div>
  );
}
