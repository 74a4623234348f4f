import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerProcess, type WorkerProcess } from '../devtools/processes.js';
import type { ExecutionRecord } from '../lib/executions/types.js';
import { ExecutionControl } from '../lib/executions/control/ExecutionControl.js';
import { ExecutionQueue } from '../lib/executions/control/ExecutionQueue.js';
import { doublingFlow, subflowCallerFlow } from './support/fixtures.js';
import { flowKit, uniqueFlowId, type FlowKit } from './support/flows.js';
import { sideEffectServer, type SideEffectServer } from './support/sideEffects.js';
import { databaseUrl } from './support/stack.js';

let kit: FlowKit;
let queue: ExecutionQueue;
let server: SideEffectServer;
const workers: WorkerProcess[] = [];
const RELEASE = 'worker-test';

beforeAll(async () => {
  kit = flowKit();
  // A release of its own, so that only this file's workers (not the suite's) take its executions.
  queue = await ExecutionQueue.create({ databaseUrl: databaseUrl(), appVersion: RELEASE });
  server = await sideEffectServer();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
});

afterAll(async () => {
  await queue.close();
  await kit.close();
  await server.close();
});

function worker(id: string, env: Record<string, string> = {}): WorkerProcess {
  const started = startWorkerProcess({
    databaseUrl: databaseUrl(),
    env: { APP_VERSION: RELEASE, WORKER_ID: id, WORKER_HEALTH_PORT: '0', WORKER_HEARTBEAT_MS: '300', WORKER_DEAD_AFTER_MS: '2000', LOG_LEVEL: 'info', QUEUE_POLL_MS: '50', ...env },
  });
  workers.push(started);
  return started;
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ended = (executionId: string, timeoutMs = 30_000): Promise<ExecutionRecord> =>
  until(async () => {
    const record = await kit.store.get(executionId);
    return record && ['completed', 'failed', 'stopped'].includes(record.status) ? record : undefined;
  }, timeoutMs);

/** before → a durable sleep → after, each HTTP call counted. */
async function sleepyFlow(label: string, sleepMs: number): Promise<{ flowId: string; before: string; after: string }> {
  const flowId = uniqueFlowId(label);
  const before = `/${flowId}/before`;
  const after = `/${flowId}/after`;
  await kit.flows.save(flowId, {
    nodes: [
      { id: 'before', type: 'HttpRequestNode', inputs: { url: `${server.url}${before}` } },
      { id: 'nap', type: 'SleepNode', inputs: { ms: sleepMs } },
      { id: 'after', type: 'HttpRequestNode', inputs: { url: `${server.url}${after}` } },
      { id: 'out', type: 'FlowOutputNode' },
    ],
    edges: [
      { from: 'before.__success', to: 'nap.__execute' },
      { from: 'nap.__success', to: 'after.__execute' },
      { from: 'after.status', to: 'out.value' },
    ],
  });
  return { flowId, before, after };
}

/** Resolves once the execution has written `type nodeId`: that node's step is checkpointed by then. */
const reached = (executionId: string, type: string, nodeId: string) =>
  until(async () => {
    const events = await kit.store.listEvents(executionId, -1, 1_000);
    return events.some((event) => event.type === type && event.nodeId === nodeId) ? true : undefined;
  }, 20_000);

async function enqueue(flowId: string): Promise<string> {
  const { execution } = await kit.create(flowId, { input: null });
  await queue.enqueue(execution);
  return execution.executionId;
}

describe('DBOSExecutionWorker in its own process', () => {
  it('runs an enqueued execution to completion', async () => {
    await worker(`w-basic-${Date.now()}`).ready;
    const flow = await sleepyFlow('basic', 10);
    const executionId = await enqueue(flow.flowId);
    const record = await ended(executionId);
    expect(record).toMatchObject({ status: 'completed', output: 200 });
    expect(server.calls(flow.before)).toBe(1);
    expect(server.calls(flow.after)).toBe(1);
  });

  it('finishes an execution after a kill -9 and a restart with the same ID, without repeating completed nodes', async () => {
    const id = `w-restart-${Date.now()}`;
    const first = worker(id);
    await first.ready;
    const flow = await sleepyFlow('restart', 2_000);
    const executionId = await enqueue(flow.flowId);
    await reached(executionId, 'node:started', 'nap');
    await first.stop('SIGKILL');
    await worker(id).ready;
    const record = await ended(executionId);
    expect(record.error).toBeNull();
    expect(record.status).toBe('completed');
    expect({ before: server.calls(flow.before), after: server.calls(flow.after) }).toEqual({ before: 1, after: 1 });
    expect(server.calls(flow.before)).toBe(1);
    expect(server.calls(flow.after)).toBe(1);
  });

  it('recomputes pure nodes after a kill -9: the replay takes the same branch, events contiguous, nothing twice', async () => {
    const id = `w-pure-${Date.now()}`;
    const first = worker(id);
    await first.ready;
    const flowId = uniqueFlowId('pure-replay');
    const before = `/${flowId}/before`;
    const after = `/${flowId}/after`;
    await kit.flows.save(flowId, {
      nodes: [
        { id: 'before', type: 'HttpRequestNode', inputs: { url: `${server.url}${before}` } },
        { id: 'decide', type: 'TransformNode', inputs: { expression: '$ = 200' } },
        { id: 'branch', type: 'BranchNode' },
        { id: 'nap', type: 'SleepNode', inputs: { ms: 2_000 } },
        { id: 'after', type: 'HttpRequestNode', inputs: { url: `${server.url}${after}` } },
        { id: 'shape', type: 'TransformNode', inputs: { expression: '"took the " & ($ ? "true" : "false") & " side"' } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [
        { from: 'before.status', to: 'decide.input' },
        { from: 'decide.result', to: 'branch.condition' },
        { from: 'decide.result', to: 'branch.value' },
        { from: 'branch.true', to: 'nap.__execute' },
        { from: 'nap.__success', to: 'after.__execute' },
        { from: 'branch.true', to: 'shape.input' },
        { from: 'branch.false', to: 'shape.input' },
        { from: 'after.__success', to: 'shape.__execute' },
        { from: 'shape.result', to: 'out.value' },
      ],
    });
    const executionId = await enqueue(flowId);
    await reached(executionId, 'node:started', 'nap');
    await first.stop('SIGKILL');
    await worker(id).ready;
    const record = await ended(executionId);
    expect(record).toMatchObject({ status: 'completed', output: 'took the true side' });
    expect({ before: server.calls(before), after: server.calls(after) }).toEqual({ before: 1, after: 1 });
    const events = await kit.store.listEvents(executionId, -1, 1_000);
    expect(events.map((event) => event.index)).toEqual(events.map((_, index) => index));
    const completed = events.filter((event) => event.type === 'node:completed').map((event) => event.nodeId);
    expect(completed).toEqual([...new Set(completed)]);
    expect(new Set(completed)).toEqual(new Set(['before', 'decide', 'branch', 'nap', 'after', 'shape', 'out']));
    // Only the nodes with effects were checkpointed.
    const { rows } = await kit.pool.query<{ function_name: string }>('SELECT function_name FROM dbos.operation_outputs WHERE workflow_uuid = $1 ORDER BY function_id', [executionId]);
    const steps = rows.map((row) => row.function_name);
    expect(steps).toEqual(expect.arrayContaining(['before', 'after']));
    expect(steps.filter((name) => ['decide', 'branch', 'shape', 'out'].includes(name))).toEqual([]);
  });

  it('resumes a retry delay after a kill -9 with only what is left of it, and never calls early or twice', async () => {
    const id = `w-backoff-${Date.now()}`;
    const first = worker(id);
    await first.ready;
    const flowId = uniqueFlowId('backoff');
    const path = `/${flowId}/status-503-1`;
    await kit.flows.save(flowId, {
      nodes: [
        { id: 'call', type: 'HttpRequestNode', inputs: { url: `${server.url}${path}`, failOnStatus: ['5xx'] }, retry: [{ on: ['HttpError'], maxAttempts: 2, intervalMs: 5_000 }] },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [{ from: 'call.status', to: 'out.value' }],
    });
    const executionId = await enqueue(flowId);
    await reached(executionId, 'node:retrying', 'call');
    await first.stop('SIGKILL');
    await worker(id).ready;
    const record = await ended(executionId);
    expect(record).toMatchObject({ status: 'completed', output: 200 });
    expect(server.calls(path)).toBe(2);
    const [firstCall, secondCall] = server.times(path);
    expect((secondCall as number) - (firstCall as number)).toBeGreaterThanOrEqual(4_900);
    const events = await kit.store.listEvents(executionId, -1, 1_000);
    expect(events.filter((event) => event.type === 'node:retrying')).toHaveLength(1);
    expect(events.map((event) => event.index)).toEqual(events.map((_, index) => index));
  });

  it('keeps a signal wait across a kill -9: a signal sent while no worker runs completes it after the restart', async () => {
    const id = `w-signal-${Date.now()}`;
    const first = worker(id);
    await first.ready;
    const flowId = uniqueFlowId('signal-crash');
    await kit.flows.save(flowId, {
      nodes: [
        { id: 'wait', type: 'WaitForSignalNode', inputs: { signal: 'go', timeoutMs: 600_000 } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [{ from: 'wait.payload', to: 'out.value' }],
    });
    const executionId = await enqueue(flowId);
    await reached(executionId, 'node:waiting', 'wait');
    await first.stop('SIGKILL');
    const control = new ExecutionControl(kit.flows, kit.store, queue);
    expect(await control.sendSignal(executionId, 'go', { payload: { approved: true }, signalId: 'once' })).toEqual({ accepted: true });
    await control.sendSignal(executionId, 'go', { payload: { approved: false }, signalId: 'once' });
    await worker(id).ready;
    expect(await ended(executionId)).toMatchObject({ status: 'completed', output: { approved: true } });
    const events = await kit.store.listEvents(executionId, -1, 1_000);
    expect(events.filter((event) => event.type === 'node:waiting')).toHaveLength(1);
    expect(events.map((event) => event.index)).toEqual(events.map((_, index) => index));
  });

  it('finishes a ForEachNode after a kill -9 mid-map without running finished items again', async () => {
    const id = `w-map-${Date.now()}`;
    const first = worker(id);
    await first.ready;
    const childId = uniqueFlowId('map-child');
    await kit.flows.save(childId, {
      nodes: [
        { id: 'in', type: 'FlowInputNode' },
        { id: 'url', type: 'TransformNode', inputs: { expression: `"${server.url}/${childId}/" & $string($)` } },
        { id: 'call', type: 'HttpRequestNode' },
        { id: 'nap', type: 'SleepNode', inputs: { ms: 100 } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [
        { from: 'in.value', to: 'url.input' },
        { from: 'url.result', to: 'call.url' },
        { from: 'call.__success', to: 'nap.__execute' },
        { from: 'in.value', to: 'out.value' },
      ],
    });
    const parentId = uniqueFlowId('map-parent');
    await kit.flows.save(parentId, {
      nodes: [
        { id: 'in', type: 'FlowInputNode' },
        { id: 'map', type: 'ForEachNode', inputs: { flowId: childId, maxConcurrency: 5 } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [
        { from: 'in.value', to: 'map.items' },
        { from: 'map.succeeded', to: 'out.value' },
      ],
    });
    const items = Array.from({ length: 60 }, (_, i) => i);
    const { execution } = await kit.create(parentId, { input: items });
    await queue.enqueue(execution);
    const callsOf = (item: number) => server.calls(`/${childId}/${item}`);
    await until(async () => (items.filter((item) => callsOf(item) > 0).length >= 15 ? true : undefined), 20_000);
    await first.stop('SIGKILL');
    await worker(id).ready;
    expect(await ended(execution.executionId, 60_000)).toMatchObject({ status: 'completed', output: 60 });
    const repeated = items.filter((item) => callsOf(item) > 1);
    // Only a call in flight at the kill may run again: at most one per running child.
    expect(repeated.length).toBeLessThanOrEqual(5);
    expect(items.every((item) => callsOf(item) >= 1 && callsOf(item) <= 2)).toBe(true);
    const children = (await kit.store.listChildren(execution.executionId, { limit: 100 })).items;
    expect(children.map((child) => child.itemIndex)).toEqual(items);
  });

  it('lets a worker with another ID resume the executions of one that died', async () => {
    const dying = worker(`w-dying-${Date.now()}`);
    await dying.ready;
    const flow = await sleepyFlow('takeover', 1_000);
    const executionId = await enqueue(flow.flowId);
    await reached(executionId, 'node:started', 'nap');
    await dying.stop('SIGKILL');
    await worker(`w-survivor-${Date.now()}`).ready;
    const record = await ended(executionId, 30_000);
    expect(record.status).toBe('completed');
    expect(server.calls(flow.before)).toBe(1);
    expect(server.calls(flow.after)).toBe(1);
  });

  it('stops an execution cancelled during a long sleep', async () => {
    await worker(`w-cancel-${Date.now()}`).ready;
    const flow = await sleepyFlow('cancel', 600_000);
    const executionId = await enqueue(flow.flowId);
    await reached(executionId, 'node:started', 'nap');
    await queue.cancel({ executionId, redriveCount: 0 });
    const record = await ended(executionId, 10_000);
    expect(record.error).toEqual({ type: 'Cancelled', message: 'cancelled' });
    expect(record.status).toBe('stopped');
    expect(server.calls(flow.after)).toBe(0);
  });

  it('lets running executions finish when it is stopped with SIGTERM', async () => {
    const stopping = worker(`w-graceful-${Date.now()}`);
    await stopping.ready;
    const flow = await sleepyFlow('graceful', 1_000);
    const executionId = await enqueue(flow.flowId);
    await reached(executionId, 'node:started', 'nap');
    await stopping.stop('SIGTERM');
    expect(await kit.store.get(executionId)).toMatchObject({ status: 'completed', output: 200, error: null });
    expect(server.calls(flow.after)).toBe(1);
  });

  it('runs a SubflowNode as a child workflow', async () => {
    await worker(`w-subflow-${Date.now()}`).ready;
    const childId = uniqueFlowId('child');
    await kit.flows.save(childId, doublingFlow(20));
    const parentId = uniqueFlowId('parent');
    await kit.flows.save(parentId, subflowCallerFlow(childId));
    const { execution } = await kit.create(parentId, { input: 21 });
    await queue.enqueue(execution);
    expect(await ended(execution.executionId)).toMatchObject({ status: 'completed', output: 42 });
    const [child] = (await kit.store.listChildren(execution.executionId, { limit: 100 })).items;
    expect(child).toMatchObject({ status: 'completed', output: 42, depth: 1, parentExecutionId: execution.executionId });
  });

  it('never runs more executions at once than the global limit, across workers', async () => {
    const limits = { QUEUE_CONCURRENCY: '3', WORKER_CONCURRENCY: '3' };
    const pair = [worker(`w-limit-a-${Date.now()}`, limits), worker(`w-limit-b-${Date.now()}`, limits)];
    await Promise.all(pair.map((started) => started.ready));
    const flow = await sleepyFlow('limit', 300);
    const executionIds: string[] = [];
    for (let i = 0; i < 10; i += 1) executionIds.push(await enqueue(flow.flowId));
    let peak = 0;
    let done = 0;
    while (done < executionIds.length) {
      const { rows } = await kit.pool.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM fireflow_executions WHERE execution_id = ANY($1) GROUP BY status',
        [executionIds],
      );
      peak = Math.max(peak, rows.find((row) => row.status === 'running')?.n ?? 0);
      done = rows.filter((row) => ['completed', 'failed', 'stopped'].includes(row.status)).reduce((sum, row) => sum + row.n, 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
    for (const executionId of executionIds) expect((await kit.store.get(executionId))?.status).toBe('completed');
    expect(server.calls(flow.after)).toBe(10);
  }, 60_000);
});
