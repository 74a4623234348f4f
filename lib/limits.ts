/**
 * What a flow may use, whoever wrote it: the bounds that keep one flow from wedging or exhausting
 * the worker that runs it. Configuration (lib/config.ts) reads them from the environment.
 */
export interface FlowLimits {
  /** Longest one JSONata evaluation may run (EXPRESSION_TIMEOUT_MS). */
  expressionTimeoutMs: number;
  /** Deepest one JSONata evaluation may nest (EXPRESSION_MAX_DEPTH). */
  expressionMaxDepth: number;
  /** Largest a node's outputs, an execution's output or an HTTP answer body read may be, as JSON (MAX_NODE_OUTPUT_BYTES). */
  maxNodeOutputBytes: number;
  /** Longest one HTTP request of an HttpRequestNode without a timeoutMs of its own may take (HTTP_TIMEOUT_MS). */
  httpTimeoutMs: number;
  /** Most child executions under one root, SubflowNode and ForEachNode children at any depth (MAX_DESCENDANTS). */
  maxDescendants: number;
}

/** Redirects an HttpRequestNode follows at most; one more fails it with a NetworkError. */
export const MAX_HTTP_REDIRECTS = 5;

export const DEFAULT_FLOW_LIMITS: Readonly<FlowLimits> = Object.freeze({
  expressionTimeoutMs: 1_000,
  expressionMaxDepth: 500,
  maxNodeOutputBytes: 1024 * 1024,
  httpTimeoutMs: 30_000,
  maxDescendants: 25_000,
});
