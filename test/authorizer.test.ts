import { randomUUID } from 'node:crypto';
import { describe, expect, it, inject } from 'vitest';
import { TEST_JWT } from './support/globalSetup.js';
import { uniqueFlowId } from './support/flows.js';

// The real handlers behind serverless-offline's JWT authorizer, with the scopes of
// serverless.yml. serverless-offline checks a token's issuer, audience, expiry and scopes but not
// its signature (API Gateway does): the tokens here are unsigned.
const baseUrl = inject('jwtHttpUrl');

function tokenWith(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return [part({ alg: 'RS256', typ: 'JWT' }), part({ iss: TEST_JWT.issuer, aud: TEST_JWT.audience, exp: now + 600, iat: now, sub: 'tester', ...claims }), 'unsigned'].join('.');
}

async function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  await response.arrayBuffer();
  return response.status;
}

const flow = { nodes: [{ id: 'in', type: 'FlowInputNode' }, { id: 'out', type: 'FlowOutputNode' }], edges: [{ from: 'in.value', to: 'out.value' }] };

describe('scopes under the JWT authorizer', () => {
  it('lets a fireflow/read token read but not save flows, start executions or use locks', async () => {
    const read = tokenWith({ scope: 'fireflow/read' });
    const flowId = uniqueFlowId('scoped');
    expect(await call('PUT', `/flows/${flowId}`, read, flow)).toBe(403);
    expect(await call('GET', `/flows/${flowId}`, read)).toBe(404);
    expect(await call('POST', `/flows/${flowId}/executions`, read, {})).toBe(403);
    expect(await call('POST', `/locks/${flowId}/acquire`, read, { lockTtlMs: 1000 })).toBe(403);
    expect(await call('GET', `/locks/${flowId}`, read)).toBe(403);
  });

  it('gives each role its own routes', async () => {
    const flowId = uniqueFlowId('scoped');
    expect(await call('PUT', `/flows/${flowId}`, tokenWith({ scope: 'fireflow/author' }), flow)).toBe(200);
    expect(await call('GET', `/flows/${flowId}`, tokenWith({ scope: 'fireflow/author' }))).toBe(403);
    expect(await call('POST', `/flows/${flowId}/executions`, tokenWith({ scope: 'fireflow/run' }), {})).toBe(202);
    expect(await call('GET', `/flows/${flowId}`, tokenWith({ scope: 'fireflow/read fireflow/run' }))).toBe(200);
    expect(await call('GET', `/locks/${flowId}`, tokenWith({ scope: 'fireflow/locks' }))).toBe(200);
    expect(await call('POST', `/executions/${randomUUID()}/cancel`, tokenWith({ scope: 'fireflow/read' }), {})).toBe(403);
  });

  it('answers 401 without a token or with one of another issuer or audience, and keeps /health open', async () => {
    expect(await call('GET', '/flows', undefined)).toBe(401);
    expect(await call('GET', '/flows', tokenWith({ scope: 'fireflow/read', iss: 'https://elsewhere.test' }))).toBe(401);
    expect(await call('GET', '/flows', tokenWith({ scope: 'fireflow/read', aud: 'other' }))).toBe(401);
    expect(await call('GET', '/flows', tokenWith({ scope: 'fireflow/read', exp: Math.floor(Date.now() / 1000) - 60 }))).toBe(401);
    expect(await call('GET', '/health', undefined)).toBe(200);
  });
});
