import { NodeError } from '../../errors.js';
import type { ForEachOutcome, ForEachSettings, NodeReport } from '../../flows/nodes/types.js';
import type { ExecutionRecord } from '../types.js';
import type { ChildLauncher, ChildRun } from './children.js';

/** How often `node:progress` is written at most, by the children's end times (which a replay reads alike). */
const PROGRESS_EVERY_MS = 1_000;

export interface ForEachRequest extends ForEachSettings {
  executionId: string;
  nodeId: string;
  /** Which attempt of the node: each attempt of a retried ForEachNode runs its items anew. */
  attempt: number;
  flowId: string;
  items: unknown[];
  signal: AbortSignal;
  report(event: NodeReport): Promise<void>;
  /** Runs work as one durable step (its result checkpointed once). */
  step<T>(name: string, work: () => Promise<T>): Promise<T>;
}

/**
 * Runs flow `flowId` once per item as child executions, at most `maxConcurrency` at once.
 *
 * Children start in item order, in batches of up to half the bound, and their ends are awaited
 * in item order, the oldest batch at a time; so a replay after a crash makes the same durable
 * calls in the same order, and a finished item is answered from its checkpoint, never run again.
 * While the oldest items run, the next ones wait for room (never more than `maxConcurrency` run).
 * When more than `toleratedFailures` items fail, no further item starts, the running ones are
 * cancelled (they end `stopped`, counted neither way) and the node fails with `ForEachFailed`.
 */
export async function runForEach(launcher: ChildLauncher, request: ForEachRequest): Promise<ForEachOutcome> {
  const { items, maxConcurrency, toleratedFailures } = request;
  const results: unknown[] = new Array(items.length).fill(null);
  const failures: ForEachOutcome['failures'] = [];
  if (items.length === 0) return { results, failures, succeeded: 0, failed: 0 };

  const batch = Math.max(1, Math.ceil(maxConcurrency / 2));
  const running = new Map<number, ChildRun>();
  let succeeded = 0;
  let next = 0;
  let lastProgressAt: number | undefined;
  const progress = () => request.report({ type: 'node:progress', data: { total: items.length, succeeded, failed: failures.length, running: running.size } });

  const tally = async (index: number, child: ExecutionRecord) => {
    if (child.status === 'completed') {
      results[index] = child.output;
      succeeded += 1;
    } else {
      failures.push({ index, executionId: child.executionId, error: child.error });
    }
    const endedAt = child.completedAt === null ? undefined : Date.parse(child.completedAt);
    if (endedAt !== undefined && (lastProgressAt === undefined || endedAt - lastProgressAt >= PROGRESS_EVERY_MS)) {
      if (lastProgressAt !== undefined) await progress();
      lastProgressAt = endedAt;
    }
  };

  while (next < items.length || running.size > 0) {
    const room = Math.min(maxConcurrency - running.size, items.length - next);
    if (room > 0 && (room >= batch || running.size === 0 || next + room === items.length)) {
      const indexes = Array.from({ length: room }, (_, offset) => next + offset);
      next += room;
      const started = await launcher.launch(
        request.flowId,
        request.nodeId,
        indexes.map((index) => ({ input: items[index], itemIndex: index, key: `foreach:${request.executionId}:${request.nodeId}${request.attempt > 1 ? `:attempt-${request.attempt}` : ''}:${index}` })),
        request.signal,
      );
      indexes.forEach((index, position) => running.set(index, started[position] as ChildRun));
      continue;
    }
    // Children start in item order, so the map's first keys are the oldest ones running. Their
    // ends are awaited as one step: one checkpoint for the batch rather than one per child.
    const oldest = [...running.keys()].slice(0, batch);
    const ended = await request.step(`${request.nodeId}:items`, () => Promise.all(oldest.map((index) => (running.get(index) as ChildRun).ended())));
    for (const [position, index] of oldest.entries()) {
      running.delete(index);
      await tally(index, ended[position] as ExecutionRecord);
    }
    if (failures.length > toleratedFailures) {
      for (const child of running.values()) await child.cancel(`more than ${toleratedFailures} items failed`);
      await request.step(`${request.nodeId}:cancelled-items`, () => Promise.all([...running.values()].map((child) => child.ended())));
      running.clear();
      await progress();
      throw new NodeError('ForEachFailed', `${failures.length} items failed; ${toleratedFailures} tolerated`, {
        details: { failures, succeeded, failed: failures.length, notStarted: items.length - next },
      });
    }
  }
  await progress();
  return { results, failures, succeeded, failed: failures.length };
}
