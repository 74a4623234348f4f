// Apart from the client, so that what reads these errors does not load undici.

/** A connection refused because its address is not public and not allowed. */
export class BlockedDestinationError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} (${address}) is not a public address and not in HTTP_ALLOWED_NETWORKS`);
  }
}
Object.defineProperty(BlockedDestinationError.prototype, 'name', { value: 'BlockedDestinationError', writable: true, configurable: true });

/** The BlockedDestinationError somewhere in `error`'s cause chain, if any. */
export function blockedDestinationOf(error: unknown): BlockedDestinationError | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof BlockedDestinationError) return current;
  }
  return undefined;
}

/** A response body that went past the most bytes its reader would take; `read` counts the bytes it had by then. */
export class BodyTooLargeError extends Error {
  constructor(
    readonly limit: number,
    readonly read: number,
  ) {
    super(`the response body is larger than ${limit} bytes`);
  }
}
Object.defineProperty(BodyTooLargeError.prototype, 'name', { value: 'BodyTooLargeError', writable: true, configurable: true });
