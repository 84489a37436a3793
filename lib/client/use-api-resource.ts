"use client";

import { useCallback, useEffect, useState } from "react";
import type { z } from "zod";
import { ApiError } from "./api-error";
import { apiJson } from "./auth-client";

/**
 * Loads a protected JSON resource through the fetch wrapper, parsed with a contract schema, and
 * again on `reload()`. A response that lands after unmount (or after a newer reload) is dropped.
 *
 * @example
 * const { data, error, reload, setData } = useApiResource(API_PATH.notes, notesBodySchema);
 */
export function useApiResource<S extends z.ZodType>(
  path: string,
  schema: S,
  failureMessage = "Could not load this.",
) {
  const [data, setData] = useState<z.output<S> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    apiJson(path, schema).then(
      (result) => {
        if (!current) return;
        setData(result);
        setError(null);
      },
      (e: unknown) => {
        if (current) setError(e instanceof ApiError ? e.message : failureMessage);
      },
    );
    return () => {
      current = false;
    };
  }, [path, schema, failureMessage, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, reload, setData };
}
