"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { apiFetch } from "@/lib/client/auth-client";
import { authStore } from "@/lib/client/auth-store";

const PARALLEL_REQUESTS = 5;

type Result = { statuses: number[]; refreshes: number; ms: number };

/**
 * Fires several protected requests at once. After the access token expires,
 * all of them get a 401 together, and the wrapper still sends exactly one
 * refresh: the others wait for it and retry with its token.
 */
export function ParallelRequestsDemo() {
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<Result | null>(null);

  async function run() {
    setRunning(true);
    const countRefreshes = () =>
      authStore.getState().events.filter((e) => e.type === "refresh_start").length;
    const before = countRefreshes();
    const started = performance.now();
    const responses = await Promise.all(
      Array.from({ length: PARALLEL_REQUESTS }, () => apiFetch("/api/me").catch(() => null)),
    );
    setResult({
      statuses: responses.map((r) => r?.status ?? 0),
      refreshes: countRefreshes() - before,
      ms: Math.round(performance.now() - started),
    });
    setRunning(false);
  }

  return (
    <Card
      title="Concurrent requests"
      description={`Send ${PARALLEL_REQUESTS} requests to GET /api/me at the same moment. Press "Expire my access token now" first: all ${PARALLEL_REQUESTS} meet a 401, and one refresh serves them all.`}
      actions={
        <Button variant="secondary" onClick={() => void run()} pending={running}>
          Fire {PARALLEL_REQUESTS} requests
        </Button>
      }
    >
      {result ? (
        <p className="text-sm text-slate-700" data-testid="parallel-result">
          Statuses: <span className="font-mono">{result.statuses.join(", ")}</span> ·{" "}
          <strong data-testid="parallel-refreshes">{result.refreshes}</strong>{" "}
          {result.refreshes === 1 ? "refresh" : "refreshes"} · {result.ms} ms
        </p>
      ) : (
        <p className="text-sm text-slate-500">Not run yet.</p>
      )}
    </Card>
  );
}
