import type { MiddlewareObj } from '@middy/core';
import { ApiError, InternalError } from '../errors.js';
import { logger } from '../logger.js';

/**
 * For direct invokes: FireFlow's API errors fail the invocation as they are (the caller sees
 * `errorType` = the error's name, e.g. ValidationError); anything else is logged and reported as
 * an InternalError, so no internals reach the caller.
 */
export function invokeErrors(): MiddlewareObj {
  return {
    name: 'invokeErrors',
    onError(request) {
      if (request.error instanceof ApiError && !(request.error instanceof InternalError)) return;
      logger.error('unexpected error', { error: request.error, requestId: request.context?.awsRequestId });
      request.error = new InternalError({ cause: request.error });
    },
  };
}
