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
    response
      .writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'session=cookie-value-42; Path=/; HttpOnly' })
      .end(JSON.stringify({ youSent: request.headers.authorization ?? null, cookie: request.headers.cookie ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await pool.end();
  await new Promise((resolve) => server.close(resolve));
});

/** How many rows of FireFlow's tables (flow definitions too, when asked) hold `text`. */
async function timesRecorded(text: string, { definitions }: { definitions: boolean }): Promise<number> {
  const stored = await pool.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM fireflow_flow_versions WHERE $2 AND definition::text LIKE $1)
          + (SELECT count(*) FROM fireflow_executions WHERE input::text LIKE $1 OR output::text LIKE $1 OR error::text LIKE $1)
          + (SELECT count(*) FROM fireflow_execution_events WHERE data::text LIKE $1) AS n`,
    [`%${text}%`, definitions],
  );
  return Number(stored.rows[0]?.n);
}

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
    expect(await timesRecorded(TEST_SECRET_VALUE, { definitions: true })).toBe(0);
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

describe('sensitive values', () => {
  it('records a lockId as "[redacted]", also where an edge carried it on, while the lock still works', async () => {
    const flowId = uniqueFlowId('lock-redacted');
    const lockKey = `${flowId}-key`;
    await api('PUT', `/flows/${flowId}`, {
      json: {
        nodes: [
          { id: 'in', type: 'FlowInputNode' },
          { id: 'lock', type: 'FFDBLockAcquireNode', inputs: { lockKey, lockTtlMs: 30_000 } },
          { id: 'note', type: 'TransformNode', inputs: { expression: '{"holding": $}' } },
          { id: 'unlock', type: 'FFDBLockReleaseNode', inputs: { lockKey } },
          { id: 'out', type: 'FlowOutputNode' },
        ],
        edges: [
          { from: 'lock.lockId', to: 'note.input' },
          { from: 'lock.lockId', to: 'unlock.lockId' },
          { from: 'note.result', to: 'out.value' },
        ],
      },
    });
    const ended = (await api('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: {} })).body;
    expect(ended).toMatchObject({ status: 'completed', output: { holding: '[redacted]' } });
    const { events } = (await api('GET', `/executions/${ended.executionId}/events`)).body;
    const outputsOf = (nodeId: string) => events.find((event: { type: string; nodeId?: string }) => event.type === 'node:completed' && event.nodeId === nodeId)?.data.outputs;
    expect(outputsOf('lock')).toMatchObject({ acquired: true, lockId: '[redacted]' });
    expect(outputsOf('note')).toEqual({ result: { holding: '[redacted]' } });
    // The real lockId reached the release node: the lock was released.
    expect(outputsOf('unlock')).toEqual({ released: true });
    expect((await api('GET', `/locks/${lockKey}`)).body).toMatchObject({ held: false });
  });

  it('records credential request headers and set-cookie answers as "[redacted]"', async () => {
    const flowId = uniqueFlowId('headers-redacted');
    await api('PUT', `/flows/${flowId}`, {
      json: {
        nodes: [
          { id: 'in', type: 'FlowInputNode' },
          { id: 'call', type: 'HttpRequestNode', inputs: { url: `${baseUrl}/echo` } },
          { id: 'cookie', type: 'TransformNode', inputs: { expression: '$lookup($, "set-cookie")' } },
          { id: 'out', type: 'FlowOutputNode' },
        ],
        edges: [
          { from: 'in.value', to: 'call.headers' },
          { from: 'call.headers', to: 'cookie.input' },
          { from: 'cookie.result', to: 'out.value' },
        ],
      },
    });
    const input = { Authorization: 'Bearer plain-token-1234', cookie: 'sid=cookie-sent-5678', 'X-Api-Key': 'api-key-9012' };
    const ended = (await api('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: { input } })).body;
    expect(ended).toMatchObject({ status: 'completed', output: '[redacted]' });
    expect(received.at(-1)).toBe('Bearer plain-token-1234');
    const { events } = (await api('GET', `/executions/${ended.executionId}/events`)).body;
    const call = events.find((event: { type: string; nodeId?: string }) => event.type === 'node:completed' && event.nodeId === 'call');
    expect(call.data.outputs.body).toEqual({ youSent: '[redacted]', cookie: '[redacted]' });
    expect(call.data.outputs.headers['set-cookie']).toBe('[redacted]');
    // The execution's input is the caller's own: only what nodes record is redacted.
    for (const value of ['plain-token-1234', 'cookie-sent-5678', 'cookie-value-42']) {
      const rows = await pool.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM fireflow_executions WHERE execution_id = $2 AND (output::text LIKE $1 OR error::text LIKE $1))
              + (SELECT count(*) FROM fireflow_execution_events WHERE execution_id = $2 AND data::text LIKE $1) AS n`,
        [`%${value}%`, ended.executionId],
      );
      expect(Number(rows.rows[0]?.n), value).toBe(0);
    }
  });
});
