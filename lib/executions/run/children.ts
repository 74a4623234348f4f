import type { StepRunner } from '../../engine/types.js';
import { NodeError, NotFoundError } from '../../errors.js';
import { DescendantLimitError, ENDED_STATUSES, STOPPED_RUN_GRACE_MS, type ExecutionRecord, type IExecutionStore } from '../types.js';

export const MAX_EXECUTION_DEPTH = 100;

/** A child execution under way. */
export interface ChildRun {
  /** Its record once it has ended. */
  ended(): Promise<ExecutionRecord>;
  /** Stops it; `ended()` then answers it `stopped` (or as it ended, if it was faster). */
  cancel(reason: string): Promise<void>;
}

/**
 * Runs a created child execution; the worker runs it as a child workflow. The durable call that
 * starts it must be made before the returned promise first waits, so that children started
 * together keep the order they were asked in.
 */
export type StartChild = (child: ExecutionRecord, signal: AbortSignal) => Promise<ChildRun>;

/** One child a node asks for: `key` (its idempotency key) names it, so a replay finds the same child. */
export interface ChildRequest {
  input: unknown;
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
    /** Runs work as one durable step: which children to start is decided once, and a replay reads it back. */
    private readonly step: StepRunner['run'],
    /** MAX_DESCENDANTS: most child executions under one root. */
    private readonly maxDescendants: number,
  ) {}

  /** Children of flow `flowId` for the node `nodeId`, created in one statement and started in the order asked. */
  async launch(flowId: string, nodeId: string, requests: ChildRequest[], signal: AbortSignal): Promise<ChildRun[]> {
    const { parent } = this;
    if (parent.depth + 1 > MAX_EXECUTION_DEPTH) {
      throw new NodeError('LimitExceeded', `child executions nest at most ${MAX_EXECUTION_DEPTH} deep`, { details: { setting: 'depth', limit: MAX_EXECUTION_DEPTH } });
    }
    type Decision = { children: ExecutionRecord[] } | { missingFlow: true } | { overLimit: { limit: number; wouldBe: number } };
    const decided = await this.step(`${nodeId}:children`, async (): Promise<Decision> => {
      let found: ExecutionRecord[];
      try {
        found = await this.store.createChildren(
          { executionId: parent.executionId, rootExecutionId: parent.rootExecutionId, depth: parent.depth, nodeId },
          flowId,
          requests.map((request) => ({ idempotencyKey: request.key, input: request.input, ...(request.itemIndex === undefined ? {} : { itemIndex: request.itemIndex }) })),
          this.maxDescendants,
        );
      } catch (error) {
        if (error instanceof NotFoundError) return { missingFlow: true };
        if (error instanceof DescendantLimitError) return { overLimit: { limit: error.limit, wouldBe: error.wouldBe } };
        throw error;
      }
      const children: ExecutionRecord[] = [];
      for (const child of found) children.push(this.endedBeforeThisRun(child) ? await this.redrive(child) : child);
      return { children };
    });
    if ('missingFlow' in decided) throw new NodeError('InvalidInput', `flowId ${flowId}: no such flow`, { details: { port: 'flowId' } });
    if ('overLimit' in decided) {
      const { limit, wouldBe } = decided.overLimit;
      throw new NodeError('LimitExceeded', `execution ${parent.rootExecutionId} may have at most ${limit} child executions (MAX_DESCENDANTS)`, {
        details: { setting: 'MAX_DESCENDANTS', limit, actual: wouldBe },
      });
    }
    // Every child is started, also one that has ended: a replay must make the same durable calls
    // in the same order as the run it replays, whatever the children did meanwhile (starting an
    // ended child's run answers its end).
    return Promise.all(decided.children.map((child) => this.startChild(child, signal)));
  }

  private endedBeforeThisRun(child: ExecutionRecord): boolean {
    const { startedAt } = this.parent;
    return child.status !== 'completed' && ENDED_STATUSES.includes(child.status) && child.completedAt !== null && startedAt !== null && Date.parse(child.completedAt) < Date.parse(startedAt);
  }

  private async redrive(child: ExecutionRecord): Promise<ExecutionRecord> {
    // A child stopped while its worker died has no run left to close its history.
    if (child.status === 'stopped') await this.store.closeStopped(child.executionId, STOPPED_RUN_GRACE_MS);
    // Read again when the redrive answers nothing: it may have committed before a lost connection.
    const redriven = (await this.store.redrive(child.executionId, child.redriveCount)) ?? (await this.store.get(child.executionId));
    if (redriven?.redriveCount !== child.redriveCount + 1) {
      throw new NodeError('SubflowFailed', `child execution ${child.executionId} could not be redriven: it is still stopping`, { details: { executionId: child.executionId, error: child.error } });
    }
    return redriven;
  }
}
