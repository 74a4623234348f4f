import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowKit, uniqueFlowId, type FlowKit } from './support/flows.js';
import { sideEffectServer, type SideEffectServer } from './support/sideEffects.js';
import { http as api } from './support/stack.js';

// ForEachNode on the real stack: HTTP through serverless-offline, the suite's worker.
let kit: FlowKit;
let server: SideEffectServer;

beforeAll(async () => {
  kit = flowKit();
  server = await sideEffectServer();
});

afterAll(async () => {
  await kit.close();
  await server.close();
});

/** A child flow: calls `<baseUrl>/<label>/<item>` once, then answers item × 2. */
async function countingChild(label: string): Promise<string> {
  const flowId = uniqueFlowId(`${label}-child`);
  await kit.flows.save(flowId, {
    nodes: [
      { id: 'in', type: 'FlowInputNode' },
      { id: 'url', type: 'TransformNode', inputs: { expression: `"${server.url}/${flowId}/" & $string($)` } },
      { id: 'call', type: 'HttpRequestNode' },
      { id: 'double', type: 'TransformNode', inputs: { expression: '$ * 2' } },
      { id: 'out', type: 'FlowOutputNode' },
    ],
    edges: [
      { from: 'in.value', to: 'url.input' },
      { from: 'url.result', to: 'call.url' },
      { from: 'in.value', to: 'double.input' },
      { from: 'call.__success', to: 'double.__execute' },
      { from: 'double.result', to: 'out.value' },
    ],
  });
  return flowId;
}

/** A child flow that fails for the items in `failing` and otherwise answers the item after `sleepMs`. */
async function choosyChild(label: string, failing: number[], sleepMs: number): Promise<string> {
  const flowId = uniqueFlowId(`${label}-child`);
  await kit.flows.save(flowId, {
    nodes: [
      { id: 'in', type: 'FlowInputNode' },
      { id: 'check', type: 'TransformNode', inputs: { expression: `$ in ${JSON.stringify(failing)} ? $error("item " & $string($) & " is bad") : $` } },
      { id: 'nap', type: 'SleepNode', inputs: { ms: sleepMs } },
      { id: 'out', type: 'FlowOutputNode' },
    ],
    edges: [
      { from: 'in.value', to: 'check.input' },
      { from: 'check.__success', to: 'nap.__execute' },
      { from: 'check.result', to: 'out.value' },
    ],
  });
  return flowId;
}

async function mapFlow(childFlowId: string, settings: Record<string, unknown>): Promise<string> {
  const flowId = uniqueFlowId('map');
  await kit.flows.save(flowId, {
    nodes: [
      { id: 'in', type: 'FlowInputNode' },
      { id: 'map', type: 'ForEachNode', inputs: { flowId: childFlowId, ...settings } },
      { id: 'out', type: 'FlowOutputNode' },
    ],
    edges: [
      { from: 'in.value', to: 'map.items' },
      { from: 'map.results', to: 'out.value' },
    ],
  });
  return flowId;
}

const runMap = async (flowId: string, items: unknown[]) => (await api('POST', `/flows/${flowId}/executions?waitMs=25000`, { json: { input: items } })).body;

async function allChildren(executionId: string, query = ''): Promise<Array<{ executionId: string; status: string; itemIndex: number | null; parentNodeId: string | null; input: unknown }>> {
  const items: Array<{ executionId: string; status: string; itemIndex: number | null; parentNodeId: string | null; input: unknown }> = [];
  for (let cursor: string | null = ''; cursor !== null; ) {
    const page: { body: { items: never[]; nextCursor: string | null } } = await api('GET', `/executions/${executionId}/children?limit=100${query}${cursor ? `&cursor=${cursor}` : ''}`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  }
  return items;
}

describe('ForEachNode', () => {
  it('runs 200 items as children, results in item order, each item once, never more than maxConcurrency at a time', async () => {
    const child = await countingChild('count');
    const flowId = await mapFlow(child, { maxConcurrency: 8 });
    const items = Array.from({ length: 200 }, (_, i) => i);
    const started = await api('POST', `/flows/${flowId}/executions`, { json: { input: items } });
    let most = 0;
    for (let record = started.body; !['completed', 'failed', 'stopped'].includes(record.status); record = (await api('GET', `/executions/${started.body.executionId}`)).body) {
      const { rows } = await kit.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM fireflow_executions WHERE parent_execution_id = $1 AND status IN ('created', 'running')", [started.body.executionId]);
      most = Math.max(most, rows[0]?.n ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const record = (await api('GET', `/executions/${started.body.executionId}`)).body;
    expect(record).toMatchObject({ status: 'completed', output: items.map((item) => item * 2) });
    expect(items.every((item) => server.calls(`/${child}/${item}`) === 1)).toBe(true);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);

    const children = await allChildren(started.body.executionId, '&nodeId=map');
    expect(children.map((entry) => entry.itemIndex)).toEqual(items);
    expect(children.map((entry) => entry.input)).toEqual(items);
    expect(children.every((entry) => entry.parentNodeId === 'map' && entry.status === 'completed')).toBe(true);
    expect(await allChildren(started.body.executionId, '&nodeId=in')).toEqual([]);

    const { body } = await api('GET', `/executions/${started.body.executionId}/events?after=-1`);
    const progress = body.events.filter((event: { type: string }) => event.type === 'node:progress');
    expect(progress.at(-1)?.data).toEqual({ total: 200, succeeded: 200, failed: 0, running: 0 });
  }, 60_000);

  it('completes with the failures it tolerates, null in their places', async () => {
    const child = await choosyChild('tolerant', [3, 10, 17], 0);
    const flowId = uniqueFlowId('tolerant');
    await kit.flows.save(flowId, {
      nodes: [
        { id: 'in', type: 'FlowInputNode' },
        { id: 'map', type: 'ForEachNode', inputs: { flowId: child, maxConcurrency: 5, toleratedFailures: 5 } },
        { id: 'shape', type: 'TransformNode', inputs: { expression: '$' } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [
        { from: 'in.value', to: 'map.items' },
        { from: 'map.failures', to: 'shape.input' },
        { from: 'shape.result', to: 'out.value' },
      ],
    });
    const record = await runMap(flowId, Array.from({ length: 20 }, (_, i) => i));
    expect(record.status).toBe('completed');
    expect(record.output.map((failure: { index: number }) => failure.index)).toEqual([3, 10, 17]);
    expect(record.output[0]).toMatchObject({ executionId: expect.any(String), error: { type: 'ExpressionError', message: expect.stringMatching(/item 3 is bad/) } });
  });

  it('fails with ForEachFailed past toleratedFailures: nothing new starts and running items end stopped', async () => {
    const child = await choosyChild('intolerant', [1, 2], 500);
    const flowId = await mapFlow(child, { maxConcurrency: 4, toleratedFailures: 1 });
    const record = await runMap(flowId, Array.from({ length: 20 }, (_, i) => i));
    expect(record).toMatchObject({ status: 'failed', error: { type: 'ForEachFailed', nodeId: 'map', details: { failed: 2 } } });
    const children = await allChildren(record.executionId);
    expect(children.length).toBeLessThan(20);
    const statuses = Object.fromEntries(children.map((entry) => [entry.itemIndex, entry.status]));
    expect(statuses).toMatchObject({ 1: 'failed', 2: 'failed' });
    expect(children.filter((entry) => entry.status === 'stopped').length).toBeGreaterThan(0);
    expect(children.every((entry) => ['completed', 'failed', 'stopped'].includes(entry.status))).toBe(true);
  });

  it('resolves an empty list at once, and fails an unknown flowId with InvalidInput before any child starts', async () => {
    const child = await countingChild('empty');
    expect(await runMap(await mapFlow(child, {}), [])).toMatchObject({ status: 'completed', output: [] });
    const missing = await runMap(await mapFlow(uniqueFlowId('nowhere'), {}), [1, 2]);
    expect(missing).toMatchObject({ status: 'failed', error: { type: 'InvalidInput', nodeId: 'map' } });
    expect(await allChildren(missing.executionId)).toEqual([]);
  });

  it('cancels its running children when the parent is cancelled', async () => {
    const child = await choosyChild('cancelled', [], 60_000);
    const flowId = await mapFlow(child, { maxConcurrency: 3 });
    const { body } = await api('POST', `/flows/${flowId}/executions`, { json: { input: [1, 2, 3, 4, 5] } });
    for (let children = 0; children < 3; ) {
      children = (await allChildren(body.executionId)).filter((entry) => entry.status === 'running').length;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await api('POST', `/executions/${body.executionId}/cancel`, { json: {} });
    let children = await allChildren(body.executionId);
    for (let tries = 0; tries < 100 && children.some((entry) => entry.status !== 'stopped'); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      children = await allChildren(body.executionId);
    }
    expect(children.map((entry) => entry.status)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('validates its static inputs at save time', async () => {
    const reply = await api('PUT', `/flows/${uniqueFlowId('bad-map')}`, {
      json: { nodes: [{ id: 'm', type: 'ForEachNode', inputs: { items: [], flowId: 'no spaces', maxConcurrency: 1001, toleratedFailures: -1 } }] },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((problem: { field: string }) => problem.field)).toEqual([
      'nodes[0].inputs.flowId',
      'nodes[0].inputs.maxConcurrency',
      'nodes[0].inputs.toleratedFailures',
    ]);
  });
});

describe('work slots (WORKER_CONCURRENCY)', () => {
  it('under one slot, nested ForEach and Subflow children complete, and no two executions do work at once', async () => {
    // Each request is answered after 20 ms; the server notes the most requests it held at once.
    let inFlight = 0;
    let most = 0;
    const slow = http.createServer((_request, response) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }, 20);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const leaf = uniqueFlowId('slots-leaf');
      await kit.flows.save(leaf, {
        nodes: [
          { id: 'in', type: 'FlowInputNode' },
          { id: 'call', type: 'HttpRequestNode', inputs: { url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/` } },
          { id: 'out', type: 'FlowOutputNode' },
        ],
        edges: [
          { from: 'in.value', to: 'out.value' },
          { from: 'call.__success', to: 'out.__execute' },
        ],
      });
      const middle = uniqueFlowId('slots-middle');
      await kit.flows.save(middle, {
        nodes: [
          { id: 'in', type: 'FlowInputNode' },
          { id: 'sub', type: 'SubflowNode', inputs: { flowId: leaf } },
          { id: 'out', type: 'FlowOutputNode' },
        ],
        edges: [
          { from: 'in.value', to: 'sub.input' },
          { from: 'sub.output', to: 'out.value' },
        ],
      });
      const { execution } = await kit.runner({ workSlots: 1 }).runDefinition(
        {
          nodes: [
            { id: 'in', type: 'FlowInputNode' },
            { id: 'map', type: 'ForEachNode', inputs: { flowId: middle, maxConcurrency: 4 } },
            { id: 'out', type: 'FlowOutputNode' },
          ],
          edges: [
            { from: 'in.value', to: 'map.items' },
            { from: 'map.results', to: 'out.value' },
          ],
        },
        [1, 2, 3, 4, 5, 6],
      );
      expect(execution).toMatchObject({ status: 'completed', output: [1, 2, 3, 4, 5, 6] });
      expect(most).toBe(1);
    } finally {
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});
