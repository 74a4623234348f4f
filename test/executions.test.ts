import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import { pollDelayMs } from '../lib/executions/control/ExecutionControl.js';
import { BUILT_IN_NODE_TYPES, NodeRegistry } from '../lib/flows/nodes/registry.js';
import type { NodeType } from '../lib/flows/nodes/types.js';
import { doublingFlow, ordersSyncFlow, subflowCallerFlow } from './support/fixtures.js';
import { eventTrail, flowKit, uniqueFlowId, type FlowKit } from './support/flows.js';
import { uniqueKey } from './support/stack.js';

let kit: FlowKit;
beforeAll(() => {
  kit = flowKit();
});
afterAll(() => kit.close());

/**
 * A node that resolves only once `size` nodes of its `group` are running at the same time: a
 * flow of them completes only if the engine really runs them in parallel.
 */
function barrierNodeType(): NodeType {
  const groups = new Map<string, { arrived: number; release: () => void; all: Promise<void> }>();
  return {
    type: 'BarrierNode',
    description: 'Waits for its whole group (tests only).',
    inputs: { group: { type: 'string', required: true }, size: { type: 'number', required: true } },
    outputs: { done: { type: 'boolean' } },
    async run(inputs, context) {
      const key = `${context.executionId}:${String(inputs.group)}`;
      let group = groups.get(key);
      if (!group) {
        let release = () => undefined as void;
        const all = new Promise<void>((resolve) => (release = resolve));
        group = { arrived: 0, release, all };
        groups.set(key, group);
      }
      group.arrived += 1;
      if (group.arrived === inputs.size) group.release();
      await group.all;
      return { done: true };
    },
  };
}

const barrier = (id: string, size: number) => ({ id, type: 'BarrierNode', inputs: { group: 'g', size }, timeoutMs: 2_000 });

describe('parallel branches', () => {
  const registry = new NodeRegistry([...BUILT_IN_NODE_TYPES, barrierNodeType()]);

  it('runs independent branches at the same time', async () => {
    const { execution } = await kit.runner({ registry }).runDefinition({ nodes: [barrier('a', 3), barrier('b', 3), barrier('c', 3)] });
    expect(execution.status).toBe('completed');
  });

  it('never runs more nodes at once than maxParallel', async () => {
    const { execution } = await kit.runner({ registry, maxParallel: 2 }).runDefinition({ nodes: [barrier('a', 3), barrier('b', 3), barrier('c', 3)] });
    // With two lanes the third member never arrives, so the first two time out.
    expect(execution.status).toBe('failed');
    expect(execution.error).toEqual({ type: 'Timeout', message: 'timed out after 2000 ms', nodeId: 'a' });
  });
});

describe('determinism', () => {
  it('starts nodes and writes events in the same order on every run', async () => {
    const definition = {
      nodes: [
        { id: 'in', type: 'FlowInputNode' },
        { id: 'slow', type: 'SleepNode', inputs: { ms: 30 } },
        { id: 'fast', type: 'TransformNode', inputs: { expression: '$ * 2' } },
        { id: 'mid', type: 'SleepNode', inputs: { ms: 10 } },
        { id: 'join', type: 'TransformNode', inputs: { expression: '"joined"' } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [
        { from: 'in.value', to: 'fast.input' },
        { from: 'slow.__success', to: 'join.__execute' },
        { from: 'mid.__success', to: 'join.input' },
        { from: 'fast.result', to: 'out.value' },
      ],
    };
    const trails = [];
    for (let run = 0; run < 3; run += 1) trails.push(eventTrail((await kit.runDefinition(definition, 21)).events));
    expect(trails[1]).toEqual(trails[0]);
    expect(trails[2]).toEqual(trails[0]);
    expect(trails[0]?.slice(0, 6)).toEqual(['execution:created', 'flow:started', 'node:started in', 'node:started slow', 'node:started mid', 'node:completed in']);
  });
});

describe('lock nodes', () => {
  it('runs the critical section of the spec example and releases the lock', async () => {
    const lockKey = uniqueKey('orders');
    const { execution, events } = await kit.runDefinition(ordersSyncFlow(lockKey), { items: [1, 2, 3] });
    expect(execution).toMatchObject({ status: 'completed', output: 3 });
    const lockOutputs = events.find((event) => event.type === 'node:completed' && event.nodeId === 'lock')?.data as { outputs: Record<string, unknown> };
    expect(lockOutputs.outputs).toEqual({ acquired: true, lockId: expect.any(String), fencingToken: expect.any(Number) });
    const unlockOutputs = events.find((event) => event.type === 'node:completed' && event.nodeId === 'unlock')?.data;
    expect(unlockOutputs).toEqual({ outputs: { released: true } });
    expect(await kit.locks.inspect(lockKey)).toEqual({ held: false });
  });
});

describe('subflows', () => {
  it('runs a child execution and records parent, root and depth', async () => {
    const childId = uniqueFlowId('child');
    await kit.flows.save(childId, doublingFlow());
    const { execution } = await kit.runDefinition(subflowCallerFlow(childId), 21);
    expect(execution).toMatchObject({ status: 'completed', output: 42, depth: 0, parentExecutionId: null, rootExecutionId: execution.executionId });
    const children = (await kit.store.listChildren(execution.executionId, { limit: 100 })).items;
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ flowId: childId, status: 'completed', output: 42, parentExecutionId: execution.executionId, rootExecutionId: execution.executionId, depth: 1 });
  });

  it('fails the calling node when the child fails', async () => {
    const childId = uniqueFlowId('failing-child');
    await kit.flows.save(childId, { nodes: [{ id: 'boom', type: 'FailNode', inputs: { message: 'child broke', errorType: 'ChildBroke' } }] });
    const { execution } = await kit.runDefinition({ nodes: [{ id: 'call', type: 'SubflowNode', inputs: { flowId: childId } }] });
    expect(execution.status).toBe('failed');
    expect(execution.error).toMatchObject({ type: 'SubflowFailed', nodeId: 'call', message: expect.stringMatching(/failed: child broke/) });
    const [child] = (await kit.store.listChildren(execution.executionId, { limit: 100 })).items;
    expect(execution.error?.details).toEqual({ executionId: child?.executionId, error: { type: 'ChildBroke', message: 'child broke', nodeId: 'boom' } });
  });

  it('stops nesting at depth 100', async () => {
    const flowId = uniqueFlowId('recursive');
    await kit.flows.save(flowId, { nodes: [{ id: 'again', type: 'SubflowNode', inputs: { flowId } }] });
    const { execution } = await kit.create(flowId);
    const ended = await kit.service.run(execution.executionId);
    expect(ended.status).toBe('failed');
    expect(ended.error?.message).toMatch(/nest at most 100 deep/);
    const deepest = await kit.pool.query<{ depth: number }>('SELECT max(depth) AS depth FROM fireflow_executions WHERE root_execution_id = $1', [execution.executionId]);
    expect(deepest.rows[0]?.depth).toBe(100);
  }, 60_000);
});

describe('flows and executions in the store', () => {
  const simple = (expression: string) => ({ name: 'simple', nodes: [{ id: 't', type: 'TransformNode', inputs: { expression } }] });

  it('keeps the version for identical content and adds one for a change; executions pin theirs', async () => {
    const flowId = uniqueFlowId('versions');
    expect(await kit.flows.save(flowId, simple('1'))).toEqual({ flowId, version: 1 });
    expect(await kit.flows.save(flowId, { nodes: [{ inputs: { expression: '1' }, type: 'TransformNode', id: 't' }], name: 'simple' })).toEqual({ flowId, version: 1 });
    const { execution } = await kit.create(flowId);
    expect(await kit.flows.save(flowId, simple('2'))).toEqual({ flowId, version: 2 });
    expect(execution.flowVersion).toBe(1);
    expect((await kit.service.run(execution.executionId)).flowVersion).toBe(1);
    expect(await kit.flows.get(flowId)).toMatchObject({ version: 2, name: 'simple' });
    expect((await kit.flows.list()).find((flow) => flow.flowId === flowId)).toEqual({ flowId, version: 2, name: 'simple' });
  });

  it('answers the same execution for the same idempotency key, and a conflict for other input', async () => {
    const flowId = uniqueFlowId('idempotent');
    await kit.flows.save(flowId, simple('1'));
    const first = await kit.create(flowId, { input: { a: [1, 2] }, idempotencyKey: 'k-1' });
    const again = await kit.create(flowId, { input: { a: [1, 2] }, idempotencyKey: 'k-1' });
    expect(first.created).toBe(true);
    expect(again).toEqual({ execution: first.execution, created: false });
    await expect(kit.create(flowId, { input: { a: [2] }, idempotencyKey: 'k-1' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('rejects an unknown flow and a malformed flow id without writing', async () => {
    await expect(kit.create(uniqueFlowId('missing'))).rejects.toBeInstanceOf(NotFoundError);
    const badId = 'bad id';
    await expect(kit.flows.save(badId, simple('1'))).rejects.toBeInstanceOf(ValidationError);
    await expect(kit.flows.get(badId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('gives a resumed execution only what is left of its flow timeout, counted from its first start', async () => {
    const flowId = uniqueFlowId('resumed-deadline');
    await kit.flows.save(flowId, { timeoutMs: 1_000, ...simple('"done in no time"') });
    const fresh = (await kit.create(flowId)).execution;
    expect(await kit.service.run(fresh.executionId)).toMatchObject({ status: 'completed' });
    // A run that crashed after its start: the record is `running` since past the deadline.
    const resumed = (await kit.create(flowId)).execution;
    await kit.store.markRunning(resumed.executionId);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await kit.service.run(resumed.executionId)).toMatchObject({ status: 'failed', error: { type: 'Timeout', message: 'flow timed out after 1000 ms' } });
    expect(eventTrail(await kit.store.listEvents(resumed.executionId, -1, 100))).toEqual(['execution:created', 'flow:started', 'flow:failed']);
  });

  it('lists executions newest first, page by page', async () => {
    const flowId = uniqueFlowId('paging');
    await kit.flows.save(flowId, simple('1'));
    const started = [];
    for (let i = 0; i < 5; i += 1) started.push((await kit.create(flowId, { input: i })).execution.executionId);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await kit.store.listByFlow(flowId, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((item) => item.executionId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...started].reverse());
    await expect(kit.store.listByFlow(flowId, { limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('writes contiguous events starting with execution:created', async () => {
    const { events } = await kit.runDefinition(simple('"x"'));
    expect(eventTrail(events)).toEqual(['execution:created', 'flow:started', 'node:started t', 'node:completed t', 'flow:completed']);
    expect(events.map((event) => event.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops a created execution at once with its flow:cancelled, and leaves an ended one as it is', async () => {
    const flowId = uniqueFlowId('cancel');
    await kit.flows.save(flowId, { nodes: [{ id: 'nap', type: 'SleepNode', inputs: { ms: 60_000 } }] });
    const waiting = (await kit.create(flowId)).execution;
    const stopped = await kit.store.cancel(waiting.executionId, 'not needed');
    expect(stopped).toMatchObject({ status: 'stopped', error: { type: 'Cancelled', message: 'not needed' } });
    expect(eventTrail(await kit.store.listEvents(waiting.executionId, -1, 100))).toEqual(['execution:created', 'flow:cancelled']);
    expect(await kit.store.cancel(waiting.executionId, 'again')).toEqual(stopped);
    expect(await kit.service.run(waiting.executionId)).toEqual(stopped);
    await expect(kit.store.cancel('no-such-execution', 'why')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('closes the history of an execution stopped while no run could end it, once, after the grace period', async () => {
    const flowId = uniqueFlowId('orphan');
    await kit.flows.save(flowId, simple('1'));
    const { execution } = await kit.create(flowId);
    await kit.store.markRunning(execution.executionId);
    await kit.store.cancel(execution.executionId, 'its worker is gone');
    expect(await kit.store.closeStopped(execution.executionId, 60_000)).toBe(false);
    expect(await kit.store.closeStopped(execution.executionId, 0)).toBe(true);
    expect(await kit.store.closeStopped(execution.executionId, 0)).toBe(false);
    expect(eventTrail(await kit.store.listEvents(execution.executionId, -1, 100))).toEqual(['execution:created', 'flow:cancelled']);
  });

  it('stops a running execution when the run side aborts it, and its run writes the last event', async () => {
    const flowId = uniqueFlowId('abort');
    await kit.flows.save(flowId, { nodes: [{ id: 'nap', type: 'SleepNode', inputs: { ms: 60_000 } }] });
    const sleeping = (await kit.create(flowId)).execution;
    const running = kit.service.run(sleeping.executionId);
    // Its node:started is written once the run is under way.
    while (!(await kit.store.listEvents(sleeping.executionId, -1, 10)).some((event) => event.type === 'node:started')) await new Promise((resolve) => setTimeout(resolve, 10));
    await kit.store.cancel(sleeping.executionId, 'operator said stop');
    expect(await kit.store.historyClosed(sleeping.executionId)).toBe(false);
    expect(kit.service.abort(sleeping.executionId, 'operator said stop')).toBe(true);
    expect(await running).toMatchObject({ status: 'stopped', error: { type: 'Cancelled', message: 'operator said stop' } });
    const trail = eventTrail(await kit.store.listEvents(sleeping.executionId, -1, 100));
    expect(trail.at(-1)).toBe('flow:cancelled');
    expect(await kit.store.historyClosed(sleeping.executionId)).toBe(true);
  });
});

describe('waiting for an end', () => {
  it('reads again after a tenth of the time waited so far, between 50 ms and 1 s', () => {
    expect([0, 400, 1_000, 5_000, 10_000, 600_000].map(pollDelayMs)).toEqual([50, 50, 100, 500, 1_000, 1_000]);
  });
});
