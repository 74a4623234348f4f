/**
 * A monotonic clock in milliseconds, for deadlines. process.hrtime rather than performance.now(),
 * whose global loads node:perf_hooks on first use, in a Lambda's first call.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Settles with `work`, or rejects as soon as `signal` aborts, for work that ignores the signal. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody waits for `work` any more; its failure must not surface as an unhandled rejection.
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
