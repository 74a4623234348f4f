import { afterAll, describe, expect, it } from 'vitest';
import type { EventBatch, IExecutionStore } from '../lib/executions/types.js';
import { EventBatcher } from '../lib/executions/run/EventWriter.js';
import { flowKit, uniqueFlowId } from './support/flows.js';

// How a worker writes events: the runs of one process together, on the real database.
const kit = flowKit();
afterAll(() => kit.close());

/** The real store, seeing every appendEvents call; `refuse` makes a call fail the way a bad event would. */
function watchedStore(refuse: (batches: EventBatch[]) => boolean = () => false): { store: IExecutionStore; calls: EventBatch[][] } {
  const calls: EventBatch[][] = [];
  const store = Object.create(kit.store) as IExecutionStore;
  store.appendEvents = async (batches) => {
    calls.push(batches);
    if (refuse(batches)) throw new Error('refused');
    return kit.store.appendEvents(batches);
  };
  return { store, calls };
}

async function runningExecutions(count: number) {
  const flowId = uniqueFlowId('events');
  await kit.flows.save(flowId, { nodes: [{ id: 'in', type: 'FlowInputNode' }] });
  return Promise.all(Array.from({ length: count }, async () => kit.store.markRunning((await kit.create(flowId)).execution.executionId)));
}

const nodeEvents = (nodeId: string) => [
  { type: 'node:started' as const, nodeId },
  { type: 'node:completed' as const, nodeId, data: { outputs: { value: nodeId } } },
];

describe('EventBatcher', () => {
  it('writes the events of every run that emitted some in one statement, each numbered on from where its run starts', async () => {
    const executions = await runningExecutions(3);
    const { store, calls } = watchedStore();
    const batcher = new EventBatcher(store);
    const writers = executions.map((execution) => batcher.writer(execution));
    writers.forEach((writer, n) => nodeEvents(`node-${n}`).forEach(writer.emit));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.map((batch) => batch.run.executionId)).toEqual(executions.map((execution) => execution.executionId));
    for (const [n, writer] of writers.entries()) {
      expect(await writer.drain()).toEqual([]);
      const events = await kit.store.listEvents(executions[n]!.executionId, -1, 100);
      expect(events.map(({ index, type, nodeId }) => ({ index, type, nodeId }))).toEqual([
        { index: 0, type: 'execution:created', nodeId: undefined },
        { index: 1, type: 'node:started', nodeId: `node-${n}` },
        { index: 2, type: 'node:completed', nodeId: `node-${n}` },
      ]);
    }
  });

  it('writes a failed batch again run by run: only the run whose events cannot be written learns of it', async () => {
    const [good, bad, alsoGood] = await runningExecutions(3);
    const { store } = watchedStore((batches) => batches.length > 1 || batches[0]?.run.executionId === bad!.executionId);
    const batcher = new EventBatcher(store);
    const writers = [good!, bad!, alsoGood!].map((execution) => batcher.writer(execution));
    for (const writer of writers) nodeEvents('step').forEach(writer.emit);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [drainGood, drainBad, drainAlsoGood] = await Promise.allSettled(writers.map((writer) => writer.drain()));
    expect(drainGood).toEqual({ status: 'fulfilled', value: [] });
    expect(drainAlsoGood).toEqual({ status: 'fulfilled', value: [] });
    expect(drainBad).toMatchObject({ status: 'rejected', reason: { message: 'refused' } });
    expect(await kit.store.listEvents(good!.executionId, 0, 100)).toHaveLength(2);
    expect(await kit.store.listEvents(bad!.executionId, 0, 100)).toHaveLength(0);
  });

  it('hands back what a run emitted after the last batch, for its end, and writes nothing of a stopped run', async () => {
    const [ending, stopping] = await runningExecutions(2);
    const { store, calls } = watchedStore();
    const batcher = new EventBatcher(store);
    const endingWriter = batcher.writer(ending!);
    const stoppingWriter = batcher.writer(stopping!);
    nodeEvents('last').forEach(endingWriter.emit);
    nodeEvents('never').forEach(stoppingWriter.emit);
    stoppingWriter.stop();
    expect((await endingWriter.drain()).map((event) => event.index)).toEqual([1, 2]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls).toEqual([]);
    expect(await kit.store.listEvents(stopping!.executionId, 0, 100)).toEqual([]);
  });
});
