// Its own module, free of dependencies: FireflowClient needs these bounds too.

/** Longest synchronous wait on the invoke path: Lambda's own 15 minutes, less room to answer. */
export const INVOKE_WAIT_MAX_MS = 870_000;
/** Longest wait over HTTP: API Gateway gives up after 29 s. */
export const HTTP_WAIT_MAX_MS = 25_000;

/** How much one run of the execution janitor deletes at most: roots per batch (one transaction each), batches. */
export const DEFAULT_SWEEP_LIMITS = { batchSize: 500, maxBatches: 20 } as const;
