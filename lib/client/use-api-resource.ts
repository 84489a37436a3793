"use client";

import { useCallback, useEffect, useState } from "react";
import { ApiError } from "./api-error";
import { apiJson } from "./auth-client";

/**
 * Loads a protected JSON resource through the fetch wrapper, and again on
 * `reload()`. A response that lands after unmount (or after a newer reload)
 * is dropped.
 *
 * @example
 * const { data, error, reload, setData } = useApiResource<{ notes: Note[] }>("/api/notes");
 */
export function useApiResource<T>(path: string, failureMessage = "Could not load this.") {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    apiJson<T>(path).then(
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
  }, [path, failureMessage, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, reload, setData };
}
