import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';
import { rejectUnstorableText } from '../validation.js';

export const MAX_BODY_BYTES = 256 * 1024;

export interface JsonBodyEvent extends APIGatewayProxyEventV2 {
  /** The parsed JSON body; undefined when the request had none. */
  jsonBody: unknown;
}

export interface HttpJsonBodyOptions {
  maxBytes?: number;
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * Parses a JSON request body into `event.jsonBody`: 413 past `maxBytes`, 415 when the content
 * type is not JSON, 400 when the JSON is malformed. An empty body is allowed and left undefined.
 */
export function httpJsonBody(options: HttpJsonBodyOptions = {}): MiddlewareObj<JsonBodyEvent> {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new TypeError('httpJsonBody: maxBytes must be a positive integer');
  return {
    name: 'httpJsonBody',
    before(request) {
      const { event } = request;
      event.jsonBody = undefined;
      if (event.body === undefined || event.body === null || event.body === '') return;
      // API Gateway hands over a string; emulators sometimes hand over the parsed value.
      const text = typeof event.body === 'string' ? event.body : JSON.stringify(event.body);
      const raw = event.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
      if (raw.byteLength > maxBytes) {
        throw new PayloadTooLargeError(`request body is ${raw.byteLength} bytes; the limit is ${maxBytes}`);
      }
      const contentType = header(event, 'content-type');
      if (!contentType || !JSON_MEDIA_TYPE.test(contentType)) {
        throw new UnsupportedMediaTypeError(`content-type must be application/json, got ${contentType ?? 'none'}`);
      }
      try {
        event.jsonBody = JSON.parse(raw.toString('utf8'));
      } catch (cause) {
        throw new ValidationError([{ field: 'body', message: 'is not valid JSON' }], { cause });
      }
      rejectUnstorableText(event.jsonBody, 'body');
    },
  };
}
