import { randomUUID } from 'node:crypto';
import { NodeError } from '../../errors.js';
import { ENDED_STATUSES, type ExecutionRecord, type IExecutionStore } from '../types.js';

export const MAX_EXECUTION_DEPTH = 100;

/** A child execution under way. */
export interface ChildRun {
  /** Its record once it has ended. */
  ended(): Promise<ExecutionRecord>;
  /** Stops it; `ended()` then answers it `stopped` (or as it ended, if it was faster). */
  cancel(reason: string): Promise<void>;
}

/** Runs a created child execution; the worker runs it as a child workflow. */
export type StartChild = (child: ExecutionRecord, signal: AbortSignal) => Promise<ChildRun>;

/** One child a node asks for: `key` (its idempotency key) names it, so a replay finds the same child. */
export interface ChildRequest {
  flowId: string;
  input: unknown;
  nodeId: string;
  key: string;
  itemIndex?: number;
}

/**
 * Starts the child executions of one run of a parent (SubflowNode, ForEachNode), or finds those it
 * started before a crash. A child that ended unsuccessfully before this run of the parent began
 * (the parent is being redriven) is redriven too, rather than replaced by a new one.
 */
export class ChildLauncher {
  constructor(
    private readonly store: IExecutionStore,
    private readonly parent: ExecutionRecord,
    private readonly startChild: StartChild,
  ) {}

  async launch(request: ChildRequest, signal: AbortSignal): Promise<ChildRun> {
    const { parent } = this;
    if (parent.depth + 1 > MAX_EXECUTION_DEPTH) {
      throw new NodeError('LimitExceeded', `child executions nest at most ${MAX_EXECUTION_DEPTH} deep`, { details: { setting: 'depth', limit: MAX_EXECUTION_DEPTH } });
    }
    const { execution: child } = await this.store.create({
      executionId: randomUUID(),
      flowId: request.flowId,
      input: request.input ?? null,
      idempotencyKey: request.key,
      parent: { executionId: parent.executionId, rootExecutionId: parent.rootExecutionId, depth: parent.depth, nodeId: request.nodeId, ...(request.itemIndex === undefined ? {} : { itemIndex: request.itemIndex }) },
    });
    // Every child is started, also one that has ended: a replay must make the same durable calls
    // in the same order as the run it replays, whatever the children did meanwhile (starting an
    // ended child's run answers its end).
    const endedBeforeThisRun =
      ENDED_STATUSES.includes(child.status) && child.completedAt !== null && parent.startedAt !== null && Date.parse(child.completedAt) < Date.parse(parent.startedAt);
    if (child.status === 'completed' || !endedBeforeThisRun) return this.startChild(child, signal);
    // Read again when the redrive answers nothing: it may have committed before a lost connection.
    const redriven = (await this.store.redrive(child.executionId, child.redriveCount)) ?? (await this.redrivenMeanwhile(child));
    if (!redriven) {
      throw new NodeError('SubflowFailed', `child execution ${child.executionId} could not be redriven: it is still stopping`, { details: { executionId: child.executionId, error: child.error } });
    }
    return this.startChild(redriven, signal);
  }

  private async redrivenMeanwhile(child: ExecutionRecord): Promise<ExecutionRecord | undefined> {
    const current = await this.store.get(child.executionId);
    return current?.redriveCount === child.redriveCount + 1 ? current : undefined;
  }
}
