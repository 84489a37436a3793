"use client";

import type { ReactNode } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { formatClock, formatDate, formatDuration, formatFromNow } from "./format";
import {
  type FamilyToken,
  type FamilyTokenState,
  REVOKE_REASON,
  type SessionView,
} from "@/lib/contract";
import { useAuthStore } from "@/lib/client/auth-store";
import { inspectJwt } from "@/lib/client/jwt-inspect";
import { useNow } from "./use-now";

const STATE_STYLES: Record<FamilyTokenState, { label: string; className: string; note: string }> = {
  current: {
    label: "current",
    className: "bg-emerald-50 text-emerald-800 ring-emerald-200",
    note: "the newest unused token at the head: the one this browser was last given",
  },
  rotated: {
    label: "rotated",
    className: "bg-slate-100 text-slate-700 ring-slate-200",
    note: "spent once, and replaced by its successor",
  },
  reused: {
    label: "reused",
    className: "bg-red-100 text-red-800 ring-red-300",
    note: "came back after it was spent, outside the grace window: the family was revoked",
  },
  superseded: {
    label: "superseded",
    className: "bg-amber-50 text-amber-800 ring-amber-200",
    note: "never presented, and a newer token replaced it (a lost answer, or another tab's sibling won)",
  },
  revoked: {
    label: "revoked",
    className: "bg-white text-red-700 ring-red-300",
    note: "unused when the session was revoked: it will never work",
  },
  expired: {
    label: "expired",
    className: "bg-white text-slate-500 ring-slate-300",
    note: "unused when the session expired",
  },
};

const ISSUED_VIA_LABELS: Record<FamilyToken["issuedVia"], string> = {
  login: "issued at login",
  rotation: "issued by rotation",
  grace: "grace sibling",
};

const REVOKE_REASONS: Record<string, string> = {
  [REVOKE_REASON.refreshTokenReused]: `a spent refresh token came back (${REVOKE_REASON.refreshTokenReused}): the server cannot tell the thief from you, so it ended the session for both`,
  [REVOKE_REASON.logout]: "you logged out",
  [REVOKE_REASON.revokedByUser]: "revoked from the Sessions page",
  [REVOKE_REASON.logoutEverywhere]: "“log out everywhere”",
  [REVOKE_REASON.passwordChanged]: "the password was changed",
};

/**
 * What the browser cannot see: the refresh token is in an httpOnly cookie, so this card shows the
 * server's view of the session instead (GET /api/auth/sessions/current), with its token family as
 * a tree. Never a token: the server keeps only hashes, and this view does not even send those.
 */
export function SessionCard({
  view,
  error,
  onReload,
}: {
  view: SessionView | null;
  error: string | null;
  onReload: () => void;
}) {
  const now = useNow(1000);
  return (
    <Card
      title="The server's view of this session"
      description={
        <>
          Your refresh token sits in an <strong className="font-medium">httpOnly cookie</strong>:
          this page cannot read it, and neither can any script that sneaks onto it. That is the
          point. Here is what the server knows instead.
        </>
      }
      actions={
        <Button variant="secondary" onClick={onReload}>
          Reload
        </Button>
      }
    >
      {error && (
        <div className="mb-3">
          <Alert tone="error">{error}</Alert>
        </div>
      )}
      {!view ? (
        !error && <p className="text-sm text-slate-500">Asking the server…</p>
      ) : (
        <div className="space-y-5" data-testid="session-view" data-status={view.status}>
          <SessionFacts view={view} now={now} />
          <section aria-labelledby="family-heading" className="space-y-2">
            <h3 id="family-heading" className="text-sm font-semibold text-slate-900">
              Refresh-token family{" "}
              <span className="font-normal text-slate-500">
                ({view.tokenCount} {view.tokenCount === 1 ? "token" : "tokens"}, oldest first)
              </span>
            </h3>
            <FamilyTree tokens={view.tokens} />
            {view.tokenCount > view.tokens.length && (
              <p className="text-xs text-slate-500">
                Showing the newest {view.tokens.length} of {view.tokenCount}.
              </p>
            )}
            <StateLegend />
          </section>
        </div>
      )}
    </Card>
  );
}

function SessionFacts({ view, now }: { view: SessionView; now: number }) {
  // The `cnf.jkt` of the access token this tab holds: the same thumbprint as the session's.
  const accessToken = useAuthStore((s) => s.accessToken);
  const cnf = accessToken ? inspectJwt(accessToken)?.payload.cnf : undefined;
  const accessJkt =
    typeof cnf === "object" && cnf !== null && typeof (cnf as { jkt?: unknown }).jkt === "string"
      ? (cnf as { jkt: string }).jkt
      : null;
  const { effective, overrides } = view.policy;
  const shortened = Object.values(overrides).some((value) => value !== null);
  return (
    <div className="space-y-3">
      <p className="flex flex-wrap items-center gap-2 text-sm">
        <StatusBadge status={view.status} />
        {view.revokedAt && (
          <span
            className="text-slate-700"
            data-testid="revoke-reason"
            data-reason={view.revokeReason ?? ""}
          >
            Revoked {formatClock(view.revokedAt)}:{" "}
            {REVOKE_REASONS[view.revokeReason ?? ""] ?? view.revokeReason}.
          </span>
        )}
      </p>
      <dl className="grid gap-x-4 gap-y-2 text-sm sm:grid-cols-2">
        <Fact label="Created">{formatDate(view.createdAt)}</Fact>
        <Fact label="Last used (last refresh)">{formatClock(view.lastUsedAt)}</Fact>
        <Fact label="Idle expiry">
          {formatDate(view.idleExpiresAt)}{" "}
          <span className="text-slate-500">
            ({formatFromNow(Date.parse(view.idleExpiresAt), now)}; each refresh moves it)
          </span>
        </Fact>
        <Fact label="Absolute expiry">
          {formatDate(view.absoluteExpiresAt)} <span className="text-slate-500">(never moves)</span>
        </Fact>
        <Fact label="Grace for the previous token">
          <span data-testid="grace-window">
            {view.status !== "active"
              ? "none: the session has ended"
              : view.headGeneration === 0
                ? "none yet (no rotation)"
                : `until the current token is first presented, at most ${formatDuration(
                    view.policy.effective.refreshGraceSeconds * 1000,
                  )} after the rotation`}
          </span>
        </Fact>
        <Fact label="Head generation">{view.headGeneration}</Fact>
        <Fact label="Bound to device key">
          <span data-testid="device-key-thumbprint" className="font-mono break-all">
            {view.deviceKeyThumbprint ?? "none (DPOP_BINDING=off)"}
          </span>
        </Fact>
        <Fact label="Access token bound to">
          <span data-testid="access-token-jkt" className="font-mono break-all">
            {accessJkt ?? "no key: sent as Bearer (ACCESS_TOKEN_BINDING=off or DPOP_BINDING=off)"}
          </span>
        </Fact>
      </dl>
      <p className="text-xs text-slate-500">
        Policy for this session: access tokens live {effective.accessTokenTtlSeconds} s, grace bound{" "}
        {effective.refreshGraceSeconds} s, idle timeout{" "}
        {formatDuration(effective.idleTimeoutSeconds * 1000)}
        {shortened ? " (shortened from the policy panel)." : " (server defaults)."}
      </p>
    </div>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd className="text-slate-800">{children}</dd>
    </div>
  );
}

function StatusBadge({ status }: { status: SessionView["status"] }) {
  const className =
    status === "active"
      ? "bg-emerald-50 text-emerald-800 ring-emerald-200"
      : status === "revoked"
        ? "bg-red-50 text-red-800 ring-red-200"
        : "bg-slate-100 text-slate-700 ring-slate-200";
  return (
    <span
      data-testid="session-status"
      className={`rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset ${className}`}
    >
      session {status}
    </span>
  );
}

type TreeNode = FamilyToken & { children: TreeNode[]; size: number };

/** Parent → children, oldest first; `size` counts a node and its descendants. */
function buildTree(tokens: FamilyToken[]): TreeNode[] {
  const nodes = new Map<string, TreeNode>(
    tokens.map((token) => [token.id, { ...token, children: [], size: 1 }]),
  );
  const roots: TreeNode[] = [];
  const byAge = [...nodes.values()].sort(
    (a, b) => a.generation - b.generation || Date.parse(a.issuedAt) - Date.parse(b.issuedAt),
  );
  for (const node of byAge) {
    const parent = node.parentId ? nodes.get(node.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const measure = (node: TreeNode): number => {
    node.size = 1 + node.children.reduce((sum, child) => sum + measure(child), 0);
    return node.size;
  };
  roots.forEach(measure);
  return roots;
}

/**
 * The family drawn as a chain: each node's main successor (the child with the most descendants)
 * continues the line below it, and any other child (a grace sibling, a lost answer's token)
 * branches off, indented.
 */
function FamilyTree({ tokens }: { tokens: FamilyToken[] }) {
  const roots = buildTree(tokens);
  return (
    <ol aria-label="Refresh tokens of this session" className="space-y-1" data-testid="family-tree">
      {roots.map((root) => (
        <Chain key={root.id} start={root} />
      ))}
    </ol>
  );
}

function Chain({ start }: { start: TreeNode }) {
  const items: ReactNode[] = [];
  let node: TreeNode | undefined = start;
  while (node) {
    const [main, ...branches] = [...node.children].sort((a, b) => b.size - a.size);
    items.push(
      <li key={node.id} className="relative">
        <NodeRow node={node} />
        {branches.length > 0 && (
          <ol
            aria-label={`Other tokens issued from generation ${node.generation}`}
            className="mt-1 ml-5 space-y-1 border-l-2 border-dashed border-amber-300 pl-3"
          >
            {branches.map((branch) => (
              <Chain key={branch.id} start={branch} />
            ))}
          </ol>
        )}
      </li>,
    );
    node = main;
  }
  return <>{items}</>;
}

function NodeRow({ node }: { node: TreeNode }) {
  const style = STATE_STYLES[node.state];
  return (
    <div
      data-testid="family-node"
      data-state={node.state}
      data-generation={node.generation}
      data-issued-via={node.issuedVia}
      className="flex flex-wrap items-center gap-x-2 gap-y-1 rounded-md px-2 py-1.5 text-xs ring-1 ring-slate-100 ring-inset"
    >
      <span className="font-mono font-semibold text-slate-900">gen {node.generation}</span>
      <span
        title={style.note}
        className={`rounded-full px-2 py-0.5 font-semibold ring-1 ring-inset ${style.className}`}
      >
        {style.label}
      </span>
      <span
        className={node.issuedVia === "grace" ? "font-medium text-amber-800" : "text-slate-600"}
      >
        {ISSUED_VIA_LABELS[node.issuedVia]}
      </span>
      <span className="text-slate-500">
        issued <time dateTime={node.issuedAt}>{formatClock(node.issuedAt)}</time>
      </span>
      {node.usedAt && (
        <span className="text-slate-500">
          spent <time dateTime={node.usedAt}>{formatClock(node.usedAt)}</time>
        </span>
      )}
      {node.reusedAt && (
        <span className="font-medium text-red-800">
          came back <time dateTime={node.reusedAt}>{formatClock(node.reusedAt)}</time>
        </span>
      )}
      <span className="ml-auto font-mono text-slate-500" title="Row id (not the token)">
        #{node.id.slice(0, 8)}
      </span>
    </div>
  );
}

function StateLegend() {
  return (
    <details className="text-xs text-slate-600">
      <summary className="cursor-pointer font-medium">What the states mean</summary>
      <ul className="mt-2 space-y-1">
        {Object.entries(STATE_STYLES).map(([state, style]) => (
          <li key={state}>
            <span
              className={`mr-1.5 rounded-full px-2 py-0.5 font-semibold ring-1 ring-inset ${style.className}`}
            >
              {style.label}
            </span>
            {style.note}
          </li>
        ))}
        <li>
          <span className="mr-1.5 font-medium text-amber-800">grace sibling</span>
          issued when the parent came back inside the grace window (a retried request, or two tabs
          at once). Nothing is revoked.
        </li>
      </ul>
    </details>
  );
}
