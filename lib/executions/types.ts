import type { EngineEventType, SettledNode } from '../engine/types.js';
import type { ErrorRecord } from '../errors.js';

/**
 * A stopped execution's run writes its `flow:cancelled` within about a second. When none has come
 * this long after the stop, no run will write it (its worker died, or its run was never picked
 * up), and FireFlow writes it so that the history ends.
 */
export const STOPPED_RUN_GRACE_MS = 10_000;

export type ExecutionStatus = 'created' | 'running' | 'completed' | 'failed' | 'stopped';
export const ENDED_STATUSES: readonly ExecutionStatus[] = ['completed', 'failed', 'stopped'];

/** An execution as callers see it (SPEC §7). Times are ISO-8601 strings. */
export interface ExecutionRecord {
  executionId: string;
  flowId: string;
  flowVersion: number;
  status: ExecutionStatus;
  input: unknown;
  output: unknown;
  error: ErrorRecord | null;
  parentExecutionId: string | null;
  rootExecutionId: string;
  depth: number;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  /** How many times it was redriven. */
  redriveCount: number;
  /** The parent's node that started this child; null for a root execution. */
  parentNodeId: string | null;
  /** Which item of its ForEachNode this child runs; null otherwise. */
  itemIndex: number | null;
}

export type ExecutionEventType = 'execution:created' | 'execution:redriven' | EngineEventType;

export interface ExecutionEvent {
  index: number;
  type: ExecutionEventType;
  timestamp: string;
  nodeId?: string;
  data?: unknown;
}

/** One run of an execution: its first (redriveCount 0), or its latest redrive. */
export type ExecutionRun = Pick<ExecutionRecord, 'executionId' | 'redriveCount'>;

/** Events of one run of an execution, to be written together with others. */
export interface EventBatch {
  run: ExecutionRun;
  events: ExecutionEvent[];
}

export interface NewExecution {
  executionId: string;
  flowId: string;
  /** Default: the flow's newest version. */
  flowVersion?: number;
  input: unknown;
  idempotencyKey?: string;
}

/** Where a redriven run starts: what earlier runs settled, and the index its events go on from. */
export interface RedriveStart {
  settled: Record<string, SettledNode>;
  nextIndex: number;
}

/** The parent a child execution is created under: which execution, its root and depth, and the node. */
export interface ChildParent {
  executionId: string;
  rootExecutionId: string;
  depth: number;
  nodeId: string;
}

/** One child to create; its idempotency key names it, so asking again finds it. */
export interface NewChild {
  idempotencyKey: string;
  input: unknown;
  itemIndex?: number;
}

/** Creating children would bring their root past its limit of descendants. */
export class DescendantLimitError extends Error {
  constructor(
    readonly limit: number,
    /** How many the root would have had. */
    readonly wouldBe: number,
  ) {
    super(`an execution tree holds at most ${limit} child executions (MAX_DESCENDANTS)`);
  }
}

export interface ExecutionPage {
  items: ExecutionRecord[];
  nextCursor: string | null;
}

/** The end an execution reached, with what it carries. */
export type ExecutionEnd =
  | { status: 'completed'; output: unknown }
  | { status: 'failed'; error: ErrorRecord }
  | { status: 'stopped'; reason: string };

export interface IExecutionStore {
  /**
   * Creates a root execution with its `execution:created` event, or answers the one that already
   * has this idempotency key (ConflictError if its input differs). `created` says which.
   * NotFoundError when the flow (or that version) does not exist.
   */
  create(execution: NewExecution): Promise<{ execution: ExecutionRecord; created: boolean }>;
  /**
   * Creates child executions of `flowId`'s newest version under `parent`, or finds the ones that
   * exist with those idempotency keys; answers them in the order asked. NotFoundError when the
   * flow does not exist; DescendantLimitError when the new ones would bring the root past
   * `maxDescendants` child executions (then none is created).
   */
  createChildren(parent: ChildParent, flowId: string, children: NewChild[], maxDescendants: number): Promise<ExecutionRecord[]>;
  get(executionId: string): Promise<ExecutionRecord | undefined>;
  listByFlow(flowId: string, page: { limit: number; cursor?: string }): Promise<ExecutionPage>;
  /** Child executions in the order they were started (item order for a ForEachNode); only `nodeId`'s when given. */
  listChildren(executionId: string, page: { nodeId?: string; limit: number; cursor?: string }): Promise<ExecutionPage>;
  /** created → running; answers the record, unchanged if it was not `created`. */
  markRunning(executionId: string): Promise<ExecutionRecord>;
  /**
   * Ends `run`: created | running → its end, writing its last events (the terminal one among
   * them) with it; answers the record, unchanged if it had already ended. Nothing is written for
   * a run that is no longer the current one, nor once the history is closed.
   */
  markEnded(run: ExecutionRun, end: ExecutionEnd, lastEvents: ExecutionEvent[]): Promise<ExecutionRecord>;
  /**
   * created | running → `stopped` with `reason`; answers the record, unchanged if it had already
   * ended. One that had not started gets its `flow:cancelled` event at once; a running one gets
   * it from the run that stops (see `closeStopped`).
   */
  cancel(executionId: string, reason: string): Promise<ExecutionRecord>;
  /**
   * failed | stopped (with its history closed) → `running` again, its redrive count raised,
   * output and error cleared, with `execution:redriven`; only while the count is still
   * `expectedRedriveCount`. Answers the record, or undefined when it may not or lost a race.
   */
  redrive(executionId: string, expectedRedriveCount: number): Promise<ExecutionRecord | undefined>;
  /** What a redriven run starts from. */
  redriveStart(executionId: string): Promise<RedriveStart>;
  /** Writes `flow:cancelled` for an execution stopped over `afterMs` ago whose run never wrote it; answers whether it did. */
  closeStopped(executionId: string, afterMs: number): Promise<boolean>;
  /** Whether the current run's history holds its terminal event (`flow:completed`, `flow:failed` or `flow:cancelled`). */
  historyClosed(executionId: string): Promise<boolean>;
  /**
   * Writes the events of each run at their given indexes, all in one statement; an index already
   * written is kept as it is (replays), and a run that is no longer its execution's current one,
   * or whose history is closed, gets nothing written.
   */
  appendEvents(batches: EventBatch[]): Promise<void>;
  listEvents(executionId: string, after: number, limit: number): Promise<ExecutionEvent[]>;
}
