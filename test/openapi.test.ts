import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { doublingFlow } from './support/fixtures.js';
import { uniqueFlowId } from './support/flows.js';
import { http, uniqueKey, type HttpReply } from './support/stack.js';

// docs/openapi.yaml against real answers of the local stack: every documented status a call
// gets must come with a body of the documented shape.
type Doc = { paths: Record<string, Record<string, any>>; components: { responses: Record<string, any> } };
let doc: Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

beforeAll(async () => {
  doc = parse(await readFile(path.resolve(import.meta.dirname, '..', 'docs', 'openapi.yaml'), 'utf8')) as Doc;
  ajv.addSchema(doc as object, 'openapi');
});

const pointer = (...parts: string[]) => parts.map((part) => encodeURIComponent(part.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');

function expectDocumented(route: string, method: string, reply: HttpReply): void {
  const operation = doc.paths[route]?.[method];
  expect(operation, `${method.toUpperCase()} ${route} is documented`).toBeDefined();
  const response = operation.responses[String(reply.status)];
  expect(response, `${method.toUpperCase()} ${route} documents ${reply.status}`).toBeDefined();
  const ref = response.$ref
    ? `openapi#/${pointer('components', 'responses', String(response.$ref).split('/').at(-1) ?? '', 'content', 'application/json', 'schema')}`
    : `openapi#/${pointer('paths', route, method, 'responses', String(reply.status), 'content', 'application/json', 'schema')}`;
  const validate = ajv.getSchema(ref);
  expect(validate, ref).toBeDefined();
  const valid = validate?.(reply.body);
  expect(valid, `${method.toUpperCase()} ${route} ${reply.status}: ${ajv.errorsText(validate?.errors)}`).toBe(true);
}

describe('docs/openapi.yaml matches the API', () => {
  it('describes the answers of the flow and execution routes', async () => {
    const flowId = uniqueFlowId('openapi');
    expectDocumented('/flows/{flowId}', 'put', await http('PUT', `/flows/${flowId}`, { json: { name: 'Documented', ...doublingFlow() } }));
    expectDocumented('/flows/{flowId}', 'put', await http('PUT', `/flows/${flowId}`, { json: { nodes: [] } }));
    expectDocumented('/flows/{flowId}', 'put', await http('PUT', `/flows/${flowId}`, { rawBody: 'x', contentType: 'text/plain' }));
    expectDocumented('/flows/{flowId}', 'get', await http('GET', `/flows/${flowId}`));
    expectDocumented('/flows/{flowId}', 'get', await http('GET', `/flows/${uniqueFlowId('missing')}`));
    expectDocumented('/flows', 'get', await http('GET', '/flows'));
    const ended = await http('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: { input: 2, idempotencyKey: 'doc' } });
    expectDocumented('/flows/{flowId}/executions', 'post', ended);
    expectDocumented('/flows/{flowId}/executions', 'post', await http('POST', `/flows/${flowId}/executions`, { json: { input: 3 } }));
    expectDocumented('/flows/{flowId}/executions', 'post', await http('POST', `/flows/${flowId}/executions`, { json: { input: 4, idempotencyKey: 'doc' } }));
    expectDocumented('/flows/{flowId}/executions', 'post', await http('POST', `/flows/${uniqueFlowId('missing')}/executions`, { json: {} }));
    expectDocumented('/flows/{flowId}/executions', 'get', await http('GET', `/flows/${flowId}/executions?limit=1`));
    expectDocumented('/executions/{executionId}', 'get', await http('GET', `/executions/${ended.body.executionId}`));
    expectDocumented('/executions/{executionId}', 'get', await http('GET', '/executions/nope'));
    expectDocumented('/executions/{executionId}/events', 'get', await http('GET', `/executions/${ended.body.executionId}/events`));
    expectDocumented('/executions/{executionId}/events', 'get', await http('GET', `/executions/${ended.body.executionId}/events?after=x`));
    expectDocumented('/executions/{executionId}/cancel', 'post', await http('POST', `/executions/${ended.body.executionId}/cancel`, { json: {} }));
    expectDocumented('/executions/{executionId}/redrive', 'post', await http('POST', `/executions/${ended.body.executionId}/redrive`, { json: {} }));
    expectDocumented('/executions/{executionId}/redrive', 'post', await http('POST', '/executions/nope/redrive', { json: {} }));
    expectDocumented('/executions/{executionId}/children', 'get', await http('GET', `/executions/${ended.body.executionId}/children?limit=5`));
    expectDocumented('/executions/{executionId}/children', 'get', await http('GET', '/executions/nope/children'));
    expectDocumented('/executions/{executionId}/children', 'get', await http('GET', `/executions/${ended.body.executionId}/children?nodeId=${encodeURIComponent('no spaces')}`));
    expectDocumented('/executions/{executionId}/signals/{signal}', 'post', await http('POST', `/executions/${ended.body.executionId}/signals/go`, { json: { payload: 1 } }));
    expectDocumented('/executions/{executionId}/signals/{signal}', 'post', await http('POST', '/executions/nope/signals/go', { json: {} }));
    expectDocumented('/executions/{executionId}/signals/{signal}', 'post', await http('POST', `/executions/${ended.body.executionId}/signals/${encodeURIComponent('no spaces')}`, { json: {} }));
    expectDocumented('/executions/{executionId}/signals/{signal}', 'post', await http('POST', `/executions/${ended.body.executionId}/signals/go`, { json: { payload: 'x'.repeat(300_000) } }));
    expectDocumented('/executions/{executionId}/redrive', 'post', await http('POST', `/executions/${ended.body.executionId}/redrive?waitMs=soon`, { json: {} }));
  });

  it('describes the answers of the lock routes and health', async () => {
    const key = uniqueKey('openapi');
    const route = (action: string) => `/locks/${encodeURIComponent(key)}/${action}`;
    const grant = await http('POST', route('acquire'), { json: { lockTtlMs: 10_000, waitTimeoutMs: 0 } });
    expectDocumented('/locks/{lockKey}/acquire', 'post', grant);
    expectDocumented('/locks/{lockKey}/acquire', 'post', await http('POST', route('acquire'), { json: { lockTtlMs: 10_000, waitTimeoutMs: 0 } }));
    expectDocumented('/locks/{lockKey}/acquire', 'post', await http('POST', route('acquire'), { json: { lockTtlMs: 0 } }));
    expectDocumented('/locks/{lockKey}', 'get', await http('GET', `/locks/${encodeURIComponent(key)}`));
    expectDocumented('/locks/{lockKey}/extend', 'post', await http('POST', route('extend'), { json: { lockId: grant.body.lockId, lockTtlMs: 10_000 } }));
    expectDocumented('/locks/{lockKey}/release', 'post', await http('POST', route('release'), { json: { lockId: grant.body.lockId } }));
    expectDocumented('/health', 'get', await http('GET', '/health'));
  });
});
