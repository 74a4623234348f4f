import type { MiddlewareObj } from '@middy/core';
import { FireflowError } from '../errors.js';
import { logger } from '../logger.js';

/** The error a direct invoke reports for a fault that is not the caller's. */
export class InternalError extends Error {
  constructor(options: { cause: unknown }) {
    super('internal error', options);
  }
}
Object.defineProperty(InternalError.prototype, 'name', { value: 'InternalError', writable: true, configurable: true });

/**
 * For direct invokes: FireFlow's typed errors fail the invocation as they are (the caller sees
 * `errorType` = the error's name, e.g. ValidationError); anything else is logged and reported as
 * an InternalError, so no internals reach the caller.
 */
export function invokeErrors(): MiddlewareObj {
  return {
    name: 'invokeErrors',
    onError(request) {
      if (request.error instanceof FireflowError) return;
      logger.error('unexpected error', { error: request.error, requestId: request.context?.awsRequestId });
      request.error = new InternalError({ cause: request.error });
    },
  };
}
