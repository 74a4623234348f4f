import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLOW_LIMITS } from '../lib/limits.js';
import { flowKit, uniqueFlowId } from './support/flows.js';
import { http as api, invoke, testPool } from './support/stack.js';

// Limits a flow cannot get around, and bytes no caller can smuggle in, on the real stack.
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  // Answers /unstorable with JSON text PostgreSQL cannot store, anything else with 5 MiB, streamed.
  server = http.createServer((request, response) => {
    if (request.url === '/unstorable') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"a":"x\\u0000y","b":"\\udc00z","c":"\\\\u0000 stays"}');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 80; i += 1) response.write(chunk);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

async function runExpression(expression: string): Promise<{ status: string; error: { type: string; details?: Record<string, unknown> } | null; completedAt: string; startedAt: string }> {
  const flowId = uniqueFlowId('expr');
  await api('PUT', `/flows/${flowId}`, { json: { nodes: [{ id: 't', type: 'TransformNode', inputs: { expression } }] } });
  return (await api('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: {} })).body;
}

describe('limits', () => {
  it('stops a runaway recursive expression with ExpressionError while other executions go on', async () => {
    const quick = uniqueFlowId('quick');
    await api('PUT', `/flows/${quick}`, { json: { nodes: [{ id: 'nap', type: 'SleepNode', inputs: { ms: 200 } }, { id: 't', type: 'TransformNode', inputs: { expression: '"fine"' } }] } });
    const [bomb, deep, other] = await Promise.all([
      runExpression('($f := function($x){ $f($x + 1) }; $f(1))'),
      runExpression('($f := function($x){ 1 + $f($x) }; $f(1))'),
      api('POST', `/flows/${quick}/executions?waitMs=20000`, { json: {} }).then((reply) => reply.body),
    ]);
    for (const ended of [bomb, deep]) {
      expect(ended).toMatchObject({ status: 'failed', error: { type: 'ExpressionError', details: { reason: expect.stringMatching(/^(depth|timeout)$/) } } });
      expect(Date.parse(ended.completedAt) - Date.parse(ended.startedAt)).toBeLessThan(DEFAULT_FLOW_LIMITS.expressionTimeoutMs + 2_000);
    }
    expect(other.status).toBe('completed');
  });

  it('stops a single built-in call that never yields or fills the heap, while other executions go on', async () => {
    const quick = uniqueFlowId('quick');
    await api('PUT', `/flows/${quick}`, { json: { nodes: [{ id: 'nap', type: 'SleepNode', inputs: { ms: 300 } }, { id: 't', type: 'TransformNode', inputs: { expression: '"fine"' } }] } });
    const [pad, backtracking, other] = await Promise.all([
      runExpression('$pad("", 200000000, "xy")'),
      runExpression('$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)'),
      api('POST', `/flows/${quick}/executions?waitMs=20000`, { json: {} }).then((reply) => reply.body),
    ]);
    expect(pad).toMatchObject({ status: 'failed', error: { type: 'ExpressionError', details: { reason: expect.stringMatching(/^(memory|timeout)$/) } } });
    expect(backtracking).toMatchObject({ status: 'failed', error: { type: 'ExpressionError', details: { reason: 'timeout' } } });
    for (const ended of [pad, backtracking]) expect(Date.parse(ended.completedAt) - Date.parse(ended.startedAt)).toBeLessThan(DEFAULT_FLOW_LIMITS.expressionTimeoutMs + 2_000);
    expect(other.status).toBe('completed');
    // The pool replaced its threads: expressions evaluate as before.
    expect(await runExpression('1 + 1')).toMatchObject({ status: 'completed' });
  });

  it('stops a long expression at EXPRESSION_TIMEOUT_MS', async () => {
    const ended = await runExpression('$reduce([1..5000000], function($a, $b){ $a + $b })');
    expect(ended).toMatchObject({ status: 'failed', error: { type: 'ExpressionError', details: { reason: 'timeout' } } });
  });

  it('fails an output over MAX_NODE_OUTPUT_BYTES with LimitExceeded', async () => {
    const ended = await runExpression('[1..300000]');
    expect(ended).toMatchObject({ status: 'failed', error: { type: 'LimitExceeded', details: { setting: 'MAX_NODE_OUTPUT_BYTES', limit: DEFAULT_FLOW_LIMITS.maxNodeOutputBytes } } });
    expect(ended.error?.details?.actual).toBeGreaterThan(DEFAULT_FLOW_LIMITS.maxNodeOutputBytes);
  });

  it('stops reading an HTTP answer past MAX_NODE_OUTPUT_BYTES', async () => {
    const flowId = uniqueFlowId('big-answer');
    await api('PUT', `/flows/${flowId}`, { json: { nodes: [{ id: 'call', type: 'HttpRequestNode', inputs: { url: `${baseUrl}/big` } }] } });
    const ended = (await api('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: {} })).body;
    expect(ended).toMatchObject({ status: 'failed', error: { type: 'LimitExceeded', nodeId: 'call', details: { setting: 'MAX_NODE_OUTPUT_BYTES' } } });
    expect(ended.error.details.actual).toBeLessThan(DEFAULT_FLOW_LIMITS.maxNodeOutputBytes + 128 * 1024);
  });
});

describe('MAX_DESCENDANTS', () => {
  it('ends a self-starting subflow bomb with LimitExceeded, never more children than the limit', async () => {
    const kit = flowKit();
    try {
      const runner = kit.runner({ limits: { ...DEFAULT_FLOW_LIMITS, maxDescendants: 40 } });
      const flowId = uniqueFlowId('bomb');
      await runner.flows.save(flowId, { nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id, type: 'SubflowNode', inputs: { flowId } })) });
      const { execution } = await kit.create(flowId);
      const ended = await runner.service.run(execution.executionId);
      expect(ended.status).toBe('failed');
      const { rows } = await kit.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM fireflow_executions WHERE root_execution_id = $1 AND parent_execution_id IS NOT NULL',
        [execution.executionId],
      );
      expect(rows[0]?.n).toBe(40);
      const limited = await kit.pool.query("SELECT 1 FROM fireflow_executions WHERE root_execution_id = $1 AND error ->> 'type' = 'LimitExceeded' AND error -> 'details' ->> 'setting' = 'MAX_DESCENDANTS'", [execution.executionId]);
      expect(limited.rowCount).toBeGreaterThan(0);
    } finally {
      await kit.close();
    }
  });
});

describe('bytes PostgreSQL cannot store', () => {
  const pool = testPool(1);
  afterAll(() => pool.end());
  const executionsOf = async (flowId: string) => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM fireflow_executions WHERE flow_id = $1', [flowId])).rows[0]?.n;

  it('answers 400 naming the field, over HTTP and invoke, and writes nothing', async () => {
    const flowId = uniqueFlowId('bad-bytes');
    await api('PUT', `/flows/${flowId}`, { json: { nodes: [{ id: 'in', type: 'FlowInputNode' }] } });
    const cases: Array<[string, () => Promise<{ status: number; body: any }>, string]> = [
      ['NUL in an input', () => api('POST', `/flows/${flowId}/executions`, { json: { input: { name: 'a\u0000b' } } }), 'input.name'],
      ['a lone surrogate in an ignored field', () => api('POST', `/flows/${flowId}/executions`, { json: { note: '\uD800' } }), 'note'],
      ['NUL in a flow name', () => api('PUT', `/flows/${flowId}`, { json: { name: 'x\u0000', nodes: [{ id: 'in', type: 'FlowInputNode' }] } }), 'name'],
      ['NUL in a static input', () => api('PUT', `/flows/${flowId}`, { json: { nodes: [{ id: 't', type: 'TransformNode', inputs: { expression: '"\u0000"' } }] } }), 'nodes[0].inputs.expression'],
      ['NUL in a key', () => api('POST', `/flows/${flowId}/executions`, { json: { input: { 'k\u0000': 1 } } }), 'input.k\u0000'],
    ];
    for (const [label, send, field] of cases) {
      const reply = await send();
      expect(reply.status, label).toBe(400);
      expect(reply.body.error.details, label).toEqual([{ field, message: expect.stringMatching(/NUL/) }]);
    }
    const cursor = Buffer.from(JSON.stringify(['9999999999999999999', 'x'])).toString('base64url');
    expect((await api('GET', `/flows/${flowId}/executions?cursor=${cursor}`)).status).toBe(400);
    const invoked = await invoke('startExecution', { flowId, input: ['ok', 'not\u0000ok'] });
    expect(invoked.payload).toMatchObject({ errorType: 'ValidationError', errorMessage: expect.stringMatching(/^input\[1\]: /) });
    expect(await executionsOf(flowId)).toBe(0);
    expect((await api('GET', `/flows/${flowId}`)).body.version).toBe(1);
  });

  it('records text a node computed that PostgreSQL cannot store with U+FFFD in its place; the flow goes on with the real value', async () => {
    const flowId = uniqueFlowId('unstorable');
    const saved = await api('PUT', `/flows/${flowId}`, {
      json: {
        nodes: [
          { id: 'call', type: 'HttpRequestNode', inputs: { url: `${baseUrl}/unstorable` } },
          { id: 'measure', type: 'TransformNode', inputs: { expression: '{"a": $length(a), "b": $length(b), "body": $}' } },
          { id: 'out', type: 'FlowOutputNode' },
        ],
        edges: [
          { from: 'call.body', to: 'measure.input' },
          { from: 'measure.result', to: 'out.value' },
        ],
      },
    });
    expect(saved.status).toBe(200);
    const ended = (await api('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: {} })).body;
    expect(ended).toMatchObject({ status: 'completed', output: { a: 3, b: 2, body: { a: 'x\uFFFDy', b: '\uFFFDz', c: '\\u0000 stays' } } });
    const { events } = (await api('GET', `/executions/${ended.executionId}/events`)).body;
    expect(events.find((event: { type: string; nodeId?: string }) => event.type === 'node:completed' && event.nodeId === 'call').data.outputs.body).toEqual({ a: 'x\uFFFDy', b: '\uFFFDz', c: '\\u0000 stays' });
  });
});
