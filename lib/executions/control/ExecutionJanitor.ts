import { logger } from '../../logger.js';
import type { PostgresExecutionRetention } from '../PostgresExecutionStore.js';
import type { ExecutionQueue } from './ExecutionQueue.js';
import { DEFAULT_SWEEP_LIMITS } from './limits.js';

/** How much one invocation of the janitor deletes at most. */
export interface SweepLimits {
  /** Root executions per batch (each batch is one transaction). */
  batchSize: number;
  /** Batches per invocation. */
  maxBatches: number;
}

/**
 * A batch stops taking roots once this many executions (roots and their descendants) are in it,
 * so that roots with large trees (a ForEachNode of thousands of items) keep a batch short.
 */
const BATCH_MAX_EXECUTIONS = 10_000;

export interface SweepAnswer {
  /** What was deleted: root executions, executions in all (roots and descendants), their events. */
  deleted: { roots: number; executions: number; events: number };
  /** Batches run. */
  batches: number;
  /** True when it stopped at `maxBatches` with expired executions probably left: the next run goes on. */
  more: boolean;
}

/**
 * Deletes root executions that ended more than `retentionDays` ago, with their descendants, their
 * events and the DBOS history of every run of theirs (redrives included). Executions that are
 * created or running (waiting included) are never deleted, nor a root with any descendant that
 * has not ended. `retentionDays` 0 keeps everything.
 */
export class ExecutionJanitor {
  constructor(
    private readonly retention: PostgresExecutionRetention,
    private readonly queue: ExecutionQueue,
    private readonly retentionDays: number,
  ) {}

  async sweep(limits: SweepLimits = DEFAULT_SWEEP_LIMITS): Promise<SweepAnswer> {
    const answer: SweepAnswer = { deleted: { roots: 0, executions: 0, events: 0 }, batches: 0, more: false };
    if (this.retentionDays === 0) return answer;
    const batch = { retentionDays: this.retentionDays, maxRoots: limits.batchSize, maxExecutions: BATCH_MAX_EXECUTIONS };
    for (;;) {
      const result = await this.retention.deleteBatch(batch, (workflowIds) => this.queue.deleteHistory(workflowIds));
      answer.batches += 1;
      answer.deleted.roots += result.roots;
      answer.deleted.executions += result.executions;
      answer.deleted.events += result.events;
      if (!result.full) break;
      if (answer.batches >= limits.maxBatches) {
        answer.more = true;
        break;
      }
    }
    logger.info('execution janitor swept', { retentionDays: this.retentionDays, ...answer.deleted, batches: answer.batches, more: answer.more });
    return answer;
  }
}
