import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { FireflowError } from '../errors.js';
import { logger } from '../logger.js';
import { jsonResponse } from './jsonResponse.js';

/**
 * Answers errors as `{"error": {code, message, details?}}` with the error's status code. Errors
 * that are not FireFlow's own are logged and answered with a bare 500 that leaks nothing.
 */
export function httpErrorResponse(): MiddlewareObj<unknown, APIGatewayProxyResultV2> {
  return {
    name: 'httpErrorResponse',
    onError(request) {
      const { error } = request;
      if (error instanceof FireflowError) {
        if (error.statusCode >= 500) logger.error('request failed', { error, requestId: request.context?.awsRequestId });
        const body = { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) };
        request.response = jsonResponse(error.statusCode, { error: body });
        return;
      }
      logger.error('unexpected error', { error, requestId: request.context?.awsRequestId });
      request.response = jsonResponse(500, { error: { code: 'InternalError', message: 'internal error' } });
    },
  };
}
