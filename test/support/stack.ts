import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { inject } from 'vitest';
import { createPool, type Pool } from '../../lib/db.js';

export const databaseUrl = (): string => inject('databaseUrl');

/** A lock key no other test uses. */
export function uniqueKey(label = 'key'): string {
  return `test:${label}:${randomUUID()}`;
}

/** A pool on the suite's database; the caller ends it. */
export function testPool(max = 4): Pool {
  return createPool({ connectionString: databaseUrl(), max });
}

export interface HttpReply {
  status: number;
  body: any;
}

/** A request to the HTTP API served by serverless-offline. */
export async function http(
  method: string,
  path: string,
  options: { json?: unknown; rawBody?: string | Buffer; contentType?: string } = {},
): Promise<HttpReply> {
  const headers: Record<string, string> = {};
  let body: string | Buffer | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  } else if (options.rawBody !== undefined) {
    body = options.rawBody;
  }
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  const response = await fetch(`${inject('httpUrl')}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** What `promise` rejects with, or undefined when it resolves. */
export const rejectionOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );

let client: LambdaClient | undefined;

/** The real AWS SDK Lambda client, pointed at serverless-offline's invoke endpoint. */
export function lambdaClient(): LambdaClient {
  client ??= new LambdaClient({
    endpoint: inject('lambdaEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return client;
}

export interface InvokeReply {
  functionError?: string;
  payload: any;
}

/** Invokes `fireflow-dev-<key>` with a JSON payload (or raw bytes) and parses the answer. */
export async function invoke(key: string, payload: unknown, raw?: Uint8Array): Promise<InvokeReply> {
  const result = await lambdaClient().send(
    new InvokeCommand({
      FunctionName: `fireflow-dev-${key}`,
      Payload: raw ?? new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  const text = result.Payload ? new TextDecoder().decode(result.Payload) : '';
  return { functionError: result.FunctionError, payload: text === '' ? undefined : JSON.parse(text) };
}

/** How many lock rows exist for `lockKey`: 0 proves a rejected request wrote nothing. */
export async function lockRowCount(pool: Pool, lockKey: string): Promise<number> {
  const result = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM fireflow_locks WHERE lock_key = $1', [lockKey]);
  return result.rows[0]?.n ?? 0;
}
