/** The part of autocannon 9's programmatic API that bench/run.ts uses. */
declare module "autocannon" {
  type Context = Record<string, unknown>;
  type RequestParams = {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  };
  /** One load-generating connection (internal to autocannon, but stable in 9.x). */
  export type Client = {
    setHeaders(headers: Record<string, string>): void;
    setHeadersAndBody(headers: Record<string, string>, body: string): void;
    requestIterator: {
      initialContext: Context;
      resetContext(): void;
      rebuildRequest(): void;
    };
  };
  export type Options = {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    amount?: number;
    timeout?: number;
    headers?: Record<string, string>;
    method?: string;
    body?: string;
    setupClient?: (client: Client) => void;
    requests?: Array<
      RequestParams & {
        setupRequest?: (request: RequestParams, context: Context) => RequestParams;
        onResponse?: (
          status: number,
          body: string,
          context: Context,
          headers: Record<string, string | string[]>,
        ) => void;
      }
    >;
  };
  /** Latency in ms; for `requests`, per-second samples, with `total` and `sent` counts. */
  type Histogram = {
    average: number;
    mean: number;
    p50: number;
    p97_5: number;
    p99: number;
    max: number;
    total: number;
    sent?: number;
  };
  export type Result = {
    requests: Histogram;
    latency: Histogram;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
  };
  export default function autocannon(options: Options): Promise<Result>;
}
