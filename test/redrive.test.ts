import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FireflowClient } from '../lib/client/FireflowClient.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import { flowKit, uniqueFlowId, type FlowKit } from './support/flows.js';
import { sideEffectServer, type SideEffectServer } from './support/sideEffects.js';
import { http as api, lambdaClient, rejectionOf } from './support/stack.js';

// Redrive on the real stack: HTTP and invoke through serverless-offline, the suite's worker.
let kit: FlowKit;
let client: FireflowClient;
let server: SideEffectServer;

beforeAll(async () => {
  kit = flowKit();
  client = new FireflowClient({ lambdaClient: lambdaClient(), functionPrefix: 'fireflow-dev-' });
  server = await sideEffectServer();
});

afterAll(async () => {
  await kit.close();
  await server.close();
});

/** A (a side effect) → B (fails while its path is failing) → C → out. */
async function flakyFlow(label: string): Promise<{ flowId: string; sideEffect: string; toggle: string }> {
  const flowId = uniqueFlowId(label);
  const sideEffect = `/${flowId}/a`;
  const toggle = `/${flowId}/b`;
  server.failing.add(toggle);
  await kit.flows.save(flowId, {
    nodes: [
      { id: 'a', type: 'HttpRequestNode', inputs: { url: `${server.url}${sideEffect}`, method: 'POST' } },
      { id: 'b', type: 'HttpRequestNode', inputs: { url: `${server.url}${toggle}`, failOnStatus: ['5xx'] } },
      { id: 'c', type: 'TransformNode', inputs: { expression: '"done " & $string($)' } },
      { id: 'out', type: 'FlowOutputNode' },
    ],
    edges: [
      { from: 'a.__success', to: 'b.__execute' },
      { from: 'b.status', to: 'c.input' },
      { from: 'c.result', to: 'out.value' },
    ],
  });
  return { flowId, sideEffect, toggle };
}

const startAndWait = async (flowId: string) => (await api('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: {} })).body;


describe('redrive', () => {
  it('runs a failed execution again from the failed node over HTTP: same id, no repeated side effect, events numbered on', async () => {
    const flow = await flakyFlow('redrive-http');
    const failed = await startAndWait(flow.flowId);
    expect(failed).toMatchObject({ status: 'failed', error: { type: 'HttpError', nodeId: 'b' }, redriveCount: 0 });
    // A new version saved meanwhile: the redrive keeps the version the execution started with.
    await kit.flows.save(flow.flowId, { nodes: [{ id: 'other', type: 'FailNode' }] });
    server.failing.delete(flow.toggle);

    const redriven = await api('POST', `/executions/${failed.executionId}/redrive?waitMs=20000`, { json: {} });
    expect(redriven).toMatchObject({ status: 200, body: { executionId: failed.executionId, status: 'completed', output: 'done 200', error: null, redriveCount: 1, flowVersion: failed.flowVersion } });
    expect(server.calls(flow.sideEffect)).toBe(1);
    expect(server.calls(flow.toggle)).toBe(2);

    const { body } = await api('GET', `/executions/${failed.executionId}/events?after=-1`);
    const events = body.events as Array<{ index: number; type: string; nodeId?: string; data?: unknown }>;
    expect(body.done).toBe(true);
    expect(events.map((event) => event.index)).toEqual(events.map((_, index) => index));
    const redrivenAt = events.findIndex((event) => event.type === 'execution:redriven');
    expect(events[redrivenAt - 1]?.type).toBe('flow:failed');
    expect(events[redrivenAt]?.data).toEqual({ redriveCount: 1 });
    const after = events.slice(redrivenAt).map((event) => (event.nodeId ? `${event.type} ${event.nodeId}` : event.type));
    expect(after).not.toContain('node:started a');
    expect(after).toContain('node:completed b');
    expect(after.at(-1)).toBe('flow:completed');
  });

  it('redrives over invoke with FireflowClient, and answers typed conflicts and 404s', async () => {
    const flow = await flakyFlow('redrive-invoke');
    const failed = await startAndWait(flow.flowId);
    expect(failed.status).toBe('failed');
    server.failing.delete(flow.toggle);
    expect(await client.redriveExecutionAndWait(failed.executionId, { waitMs: 20_000 })).toMatchObject({ status: 'completed', redriveCount: 1 });
    expect(server.calls(flow.sideEffect)).toBe(1);
    expect(await rejectionOf(client.redriveExecution(failed.executionId))).toBeInstanceOf(ConflictError);
    expect(await rejectionOf(client.redriveExecution('no-such-execution'))).toBeInstanceOf(NotFoundError);
    const invalid = await rejectionOf(client.redriveExecutionAndWait(failed.executionId, { waitMs: -1 }));
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).details?.map((problem) => problem.field)).toEqual(['waitMs']);
  });

  it('lets one of two redrives at once win; the other is a 409', async () => {
    const flow = await flakyFlow('redrive-race');
    const failed = await startAndWait(flow.flowId);
    server.failing.delete(flow.toggle);
    const answers = await Promise.all([1, 2].map(() => api('POST', `/executions/${failed.executionId}/redrive`, { json: {} })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
    expect(answers.find((answer) => answer.status === 409)?.body.error.code).toBe('ConflictError');
    const ended = await api('GET', `/executions/${failed.executionId}`);
    expect(ended.body.redriveCount).toBe(1);
  });

  it('answers 409 for a running or completed execution and 400 for bad input, writing nothing', async () => {
    const sleeper = uniqueFlowId('redrive-running');
    await kit.flows.save(sleeper, { nodes: [{ id: 'nap', type: 'SleepNode', inputs: { ms: 600_000 } }] });
    const running = (await api('POST', `/flows/${sleeper}/executions`, { json: {} })).body;
    expect((await api('POST', `/executions/${running.executionId}/redrive`, { json: {} })).status).toBe(409);
    await api('POST', `/executions/${running.executionId}/cancel`, { json: {} });

    const doubled = uniqueFlowId('redrive-completed');
    await kit.flows.save(doubled, { nodes: [{ id: 't', type: 'TransformNode', inputs: { expression: '1' } }] });
    const completed = await startAndWait(doubled);
    expect(completed.status).toBe('completed');
    expect((await api('POST', `/executions/${completed.executionId}/redrive`, { json: {} })).status).toBe(409);
    expect((await api('POST', '/executions/no-such-execution/redrive', { json: {} })).status).toBe(404);
    for (const [path, options] of [
      [`/executions/${completed.executionId}/redrive?waitMs=25001`, { json: {} }],
      [`/executions/${completed.executionId}/redrive`, { json: [1] }],
      [`/executions/${completed.executionId}/redrive`, { rawBody: 'go', contentType: 'text/plain' }],
    ] as const) {
      const reply = await api('POST', path, options);
      expect(reply.status, path).toBeGreaterThanOrEqual(400);
      expect(reply.status, path).toBeLessThan(500);
    }
    expect((await api('GET', `/executions/${completed.executionId}`)).body).toEqual(completed);
  });

  it('redrives a stopped execution from the node it was stopped in, also when a redrive itself was stopped', async () => {
    const flowId = uniqueFlowId('redrive-stopped');
    const sideEffect = `/${flowId}/a`;
    await kit.flows.save(flowId, {
      nodes: [
        { id: 'a', type: 'HttpRequestNode', inputs: { url: `${server.url}${sideEffect}`, method: 'POST' } },
        { id: 'nap', type: 'SleepNode', inputs: { ms: 1_500 } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [
        { from: 'a.__success', to: 'nap.__execute' },
        { from: 'nap.__success', to: 'out.value' },
      ],
    });
    const { body } = await api('POST', `/flows/${flowId}/executions`, { json: {} });
    const executionId = body.executionId as string;
    type Event = { index: number; type: string; nodeId?: string };
    const history = async (): Promise<{ events: Event[]; done: boolean }> => (await api('GET', `/executions/${executionId}/events?after=-1&waitMs=2000`)).body;
    /** Cancels once the current run has started `nap`, then follows the events until done. */
    const stopDuringNap = async () => {
      for (;;) {
        const { events } = await history();
        const runStart = events.findLastIndex((event) => event.type === 'execution:redriven');
        if (events.slice(runStart + 1).some((event) => event.type === 'node:started' && event.nodeId === 'nap')) break;
      }
      await api('POST', `/executions/${executionId}/cancel`, { json: { reason: 'pause' } });
      for (;;) {
        const page = await history();
        if (page.done) return page.events;
      }
    };

    await stopDuringNap();
    expect((await api('POST', `/executions/${executionId}/redrive`, { json: {} })).status).toBe(202);
    const events = await stopDuringNap();
    expect(events.at(-1)?.type).toBe('flow:cancelled');
    const afterRedrive = events.slice(events.findIndex((event) => event.type === 'execution:redriven'));
    expect(afterRedrive.filter((event) => event.type.startsWith('flow:') && event.type !== 'flow:started').map((event) => event.type)).toEqual(['flow:cancelled']);
    expect(events.map((event) => event.index)).toEqual(events.map((_, index) => index));

    const redriven = await api('POST', `/executions/${executionId}/redrive?waitMs=20000`, { json: {} });
    expect(redriven.body).toMatchObject({ status: 'completed', output: true, redriveCount: 2, error: null });
    expect(server.calls(sideEffect)).toBe(1);
  });

  it('redrives the failed child of a SubflowNode instead of starting a new one; a child itself is redriven through its root', async () => {
    const child = await flakyFlow('redrive-child');
    const parentId = uniqueFlowId('redrive-parent');
    await kit.flows.save(parentId, {
      nodes: [
        { id: 'call', type: 'SubflowNode', inputs: { flowId: child.flowId } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [{ from: 'call.output', to: 'out.value' }],
    });
    const failed = await startAndWait(parentId);
    expect(failed).toMatchObject({ status: 'failed', error: { type: 'SubflowFailed', nodeId: 'call' } });
    const [failedChild] = (await kit.store.listChildren(failed.executionId, { limit: 100 })).items;
    expect((await api('POST', `/executions/${failedChild?.executionId}/redrive`, { json: {} })).status).toBe(409);

    server.failing.delete(child.toggle);
    const redriven = await api('POST', `/executions/${failed.executionId}/redrive?waitMs=20000`, { json: {} });
    expect(redriven.body).toMatchObject({ status: 'completed', output: 'done 200' });
    const children = (await kit.store.listChildren(failed.executionId, { limit: 100 })).items;
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ executionId: failedChild?.executionId, status: 'completed', redriveCount: 1, parentNodeId: 'call' });
    expect(server.calls(child.sideEffect)).toBe(1);
  });
  it('hands a redacted lockId on to the release node after a redrive: the lock is released', async () => {
    const flowId = uniqueFlowId('redrive-lock');
    const lockKey = `${flowId}-key`;
    const toggle = `/${flowId}/work`;
    server.failing.add(toggle);
    await kit.flows.save(flowId, {
      nodes: [
        { id: 'lock', type: 'FFDBLockAcquireNode', inputs: { lockKey, lockTtlMs: 60_000 } },
        { id: 'work', type: 'HttpRequestNode', inputs: { url: `${server.url}${toggle}`, failOnStatus: ['5xx'] } },
        { id: 'unlock', type: 'FFDBLockReleaseNode', inputs: { lockKey } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [
        { from: 'lock.__success', to: 'work.__execute' },
        { from: 'work.__success', to: 'unlock.__execute' },
        { from: 'lock.lockId', to: 'unlock.lockId' },
        { from: 'unlock.released', to: 'out.value' },
      ],
    });
    const failed = await startAndWait(flowId);
    expect(failed).toMatchObject({ status: 'failed', error: { nodeId: 'work' } });
    expect((await api('GET', `/locks/${lockKey}`)).body).toMatchObject({ held: true });
    server.failing.delete(toggle);

    const redriven = await api('POST', `/executions/${failed.executionId}/redrive?waitMs=20000`, { json: {} });
    expect(redriven.body).toMatchObject({ status: 'completed', output: true });
    expect((await api('GET', `/locks/${lockKey}`)).body).toMatchObject({ held: false });
    const { events } = (await api('GET', `/executions/${failed.executionId}/events?after=-1`)).body;
    const lockEvent = events.find((event: { type: string; nodeId?: string }) => event.type === 'node:completed' && event.nodeId === 'lock');
    expect(lockEvent.data.outputs.lockId).toBe('[redacted]');
  });
});
