import { NodeError } from '../../errors.js';
import type { ForEachOutcome, ForEachSettings, NodeReport } from '../../flows/nodes/types.js';
import type { ExecutionRecord } from '../types.js';
import type { ChildLauncher, ChildRun } from './children.js';

/** How often `node:progress` is written at most, by the children's end times (which a replay reads alike). */
const PROGRESS_EVERY_MS = 1_000;

export interface ForEachRequest extends ForEachSettings {
  executionId: string;
  nodeId: string;
  flowId: string;
  items: unknown[];
  signal: AbortSignal;
  report(event: NodeReport): Promise<void>;
}

/**
 * Runs flow `flowId` once per item as child executions, at most `maxConcurrency` at once. Children
 * start in item order and are awaited in item order, so a replay after a crash makes the same
 * durable calls in the same order: a finished item is answered from its record, never run again.
 * A slow item holds back the start of the next ones (never more than `maxConcurrency` run).
 * When more than `toleratedFailures` items fail, no further item starts, the running ones are
 * cancelled and the node fails with `ForEachFailed`.
 */
export async function runForEach(launcher: ChildLauncher, request: ForEachRequest): Promise<ForEachOutcome> {
  const { items, maxConcurrency, toleratedFailures } = request;
  const results: unknown[] = new Array(items.length).fill(null);
  const failures: ForEachOutcome['failures'] = [];
  const running = new Map<number, ChildRun>();
  let succeeded = 0;
  let started = 0;
  let lastProgressAt: number | undefined;

  const progress = () => request.report({ type: 'node:progress', data: { total: items.length, succeeded, failed: failures.length, running: running.size } });
  const settle = async (index: number): Promise<void> => {
    const child = (await running.get(index)?.ended()) as ExecutionRecord;
    running.delete(index);
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

  if (items.length === 0) return { results, failures, succeeded, failed: 0 };
  for (let next = 0; next < items.length || running.size > 0; ) {
    if (next < items.length && running.size < maxConcurrency) {
      const index = next++;
      running.set(
        index,
        await launcher.launch(
          { flowId: request.flowId, input: items[index], nodeId: request.nodeId, itemIndex: index, key: `foreach:${request.executionId}:${request.nodeId}:${index}` },
          request.signal,
        ),
      );
      started += 1;
      continue;
    }
    // Children start in item order, so the map's first key is the oldest one running.
    await settle(running.keys().next().value as number);
    if (failures.length > toleratedFailures) {
      // Cancelled items are neither failures nor results: each ends `stopped`.
      for (const child of running.values()) await child.cancel(`more than ${toleratedFailures} items failed`);
      for (const child of running.values()) await child.ended();
      running.clear();
      await progress();
      throw new NodeError('ForEachFailed', `${failures.length} of ${started} started items failed; ${toleratedFailures} tolerated`, {
        details: { failures: [...failures].sort((a, b) => a.index - b.index), succeeded, failed: failures.length, notStarted: items.length - started },
      });
    }
  }
  await progress();
  return { results, failures: failures.sort((a, b) => a.index - b.index), succeeded, failed: failures.length };
}
