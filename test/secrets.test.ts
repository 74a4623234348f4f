import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueFlowId } from './support/flows.js';
import { TEST_SECRET_VALUE } from './support/globalSetup.js';
import { http as api, testPool } from './support/stack.js';

// `{"$secret": name}` static inputs on the real stack: the suite's worker holds the secret
// `test-token` in FIREFLOW_SECRET_TEST_TOKEN.
let server: http.Server;
let baseUrl: string;
const received: string[] = [];
const pool = testPool(1);

beforeAll(async () => {
  // Echoes the Authorization header it received, as a careless service might.
  server = http.createServer((request, response) => {
    received.push(request.headers.authorization ?? '');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ youSent: request.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await pool.end();
  await new Promise((resolve) => server.close(resolve));
});

const callWith = (authorization: unknown) => ({
  nodes: [
    { id: 'in', type: 'FlowInputNode' },
    { id: 'call', type: 'HttpRequestNode', inputs: { url: `${baseUrl}/echo`, headers: { Authorization: authorization } } },
    { id: 'out', type: 'FlowOutputNode' },
  ],
  edges: [{ from: 'call.body', to: 'out.value' }],
});

describe('secret references', () => {
  it('sends the secret, and records it nowhere', async () => {
    const flowId = uniqueFlowId('secret');
    expect((await api('PUT', `/flows/${flowId}`, { json: callWith({ $secret: 'test-token' }) })).status).toBe(200);
    const ended = (await api('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: {} })).body;
    expect(ended).toMatchObject({ status: 'completed', output: { youSent: '[redacted]' } });
    expect(received.at(-1)).toBe(TEST_SECRET_VALUE);
    const stored = await pool.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM fireflow_flow_versions WHERE definition::text LIKE $1)
            + (SELECT count(*) FROM fireflow_executions WHERE input::text LIKE $1 OR output::text LIKE $1 OR error::text LIKE $1)
            + (SELECT count(*) FROM fireflow_execution_events WHERE data::text LIKE $1) AS n`,
      [`%${TEST_SECRET_VALUE}%`],
    );
    expect(Number(stored.rows[0]?.n)).toBe(0);
  });

  it('fails an unknown secret with InvalidInput, and never resolves a reference that arrived as data', async () => {
    const unknown = uniqueFlowId('secret-unknown');
    await api('PUT', `/flows/${unknown}`, { json: callWith({ $secret: 'no-such-secret' }) });
    expect((await api('POST', `/flows/${unknown}/executions?waitMs=20000`, { json: {} })).body).toMatchObject({ status: 'failed', error: { type: 'InvalidInput', nodeId: 'call' } });

    const wired = uniqueFlowId('secret-as-data');
    await api('PUT', `/flows/${wired}`, {
      json: {
        nodes: [
          { id: 'in', type: 'FlowInputNode' },
          { id: 'call', type: 'HttpRequestNode', inputs: { url: `${baseUrl}/echo`, method: 'POST' } },
          { id: 'out', type: 'FlowOutputNode' },
        ],
        edges: [
          { from: 'in.value', to: 'call.headers' },
          { from: 'call.body', to: 'out.value' },
        ],
      },
    });
    const ended = (await api('POST', `/flows/${wired}/executions?waitMs=20000`, { json: { input: { Authorization: { $secret: 'test-token' } } } })).body;
    expect(ended).toMatchObject({ status: 'completed', output: { youSent: '[object Object]' } });
    expect(received.at(-1)).toBe('[object Object]');
  });

  it('rejects a malformed reference at save time, naming where it stands', async () => {
    const reply = await api('PUT', `/flows/${uniqueFlowId('secret-bad')}`, { json: callWith({ $secret: 'has spaces' }) });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toEqual([{ field: 'nodes[1].inputs.headers.Authorization.$secret', message: expect.stringMatching(/secret name/) }]);
  });
});
