import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { ValidationError } from '../errors.js';
import { rejectUnstorableText } from '../validation.js';
import { httpErrorResponse } from './httpErrorResponse.js';
import { httpJsonBody, type JsonBodyEvent } from './httpJsonBody.js';
import { invokeErrors } from './invokeErrors.js';
import { jsonResponse } from './jsonResponse.js';

export interface HttpRequest {
  /** Path parameters. API Gateway HTTP APIs hand them over percent-decoded already. */
  path: Record<string, string>;
  query: Record<string, string>;
  /** The parsed JSON body, undefined when there was none. */
  body: unknown;
}

export interface HttpAnswer {
  statusCode?: number;
  body: unknown;
}

function definedEntries(record: Record<string, string | undefined> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(record ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** An API Gateway HTTP API handler: JSON in (≤ 256 KiB), JSON out, typed errors as SPEC §5 shapes. */
export function httpHandler(handle: (request: HttpRequest) => Promise<HttpAnswer>) {
  return middy<JsonBodyEvent, APIGatewayProxyResultV2>()
    .use(httpErrorResponse())
    .use(httpJsonBody())
    .handler(async (event) => {
      const answer = await handle({
        path: definedEntries(event.pathParameters),
        query: definedEntries(event.queryStringParameters),
        body: event.jsonBody,
      });
      return jsonResponse(answer.statusCode ?? 200, answer.body);
    });
}

/** A direct-invoke handler: the payload in, the result out, typed errors fail the invocation. */
export function invokeHandler<Result>(handle: (payload: unknown) => Promise<Result>) {
  return middy<unknown, Result>()
    .use(invokeErrors())
    .handler((payload) => {
      rejectUnstorableText(payload, '(input)');
      return handle(payload);
    });
}

/** The body as an object to merge path parameters into; a non-object body is a validation error. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  throw ValidationError.forField('body', 'must be a JSON object');
}
