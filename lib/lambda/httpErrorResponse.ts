import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { ApiError, InternalError } from '../errors.js';
import { logger } from '../logger.js';
import { jsonResponse } from './jsonResponse.js';

/**
 * Answers errors as `{"error": {code, message, details?}}` with the error's status code. Errors
 * that are not FireFlow's own are logged and answered as an InternalError that leaks nothing.
 */
export function httpErrorResponse(): MiddlewareObj<unknown, APIGatewayProxyResultV2> {
  return {
    name: 'httpErrorResponse',
    onError(request) {
      const { error } = request;
      const answered = error instanceof ApiError ? error : new InternalError({ cause: error });
      if (answered.statusCode >= 500) {
        logger.error(answered === error ? 'request failed' : 'unexpected error', { error, requestId: request.context?.awsRequestId });
      }
      const body = { code: answered.code, message: answered.message, ...(answered.details === undefined ? {} : { details: answered.details }) };
      request.response = jsonResponse(answered.statusCode, { error: body });
    },
  };
}
