import type { EngineEventType, FlowError } from '../engine/types.js';

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
  error: FlowError | null;
  parentExecutionId: string | null;
  rootExecutionId: string;
  depth: number;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export type ExecutionEventType = 'execution:created' | EngineEventType;

export interface ExecutionEvent {
  index: number;
  type: ExecutionEventType;
  timestamp: string;
  nodeId?: string;
  data?: unknown;
}

export interface NewExecution {
  executionId: string;
  flowId: string;
  /** Default: the flow's newest version. */
  flowVersion?: number;
  input: unknown;
  idempotencyKey?: string;
  parent?: { executionId: string; rootExecutionId: string; depth: number; nodeId: string };
}

export interface ExecutionPage {
  items: ExecutionRecord[];
  nextCursor: string | null;
}

/** The end an execution reached, with what it carries. */
export type ExecutionEnd =
  | { status: 'completed'; output: unknown }
  | { status: 'failed'; error: FlowError }
  | { status: 'stopped'; reason: string };

export interface IExecutionStore {
  /**
   * Creates the execution with its `execution:created` event, or answers the one that already
   * has this idempotency key (ConflictError if its input differs). `created` says which.
   * NotFoundError when the flow (or that version) does not exist.
   */
  create(execution: NewExecution): Promise<{ execution: ExecutionRecord; created: boolean }>;
  get(executionId: string): Promise<ExecutionRecord | undefined>;
  listByFlow(flowId: string, page: { limit: number; cursor?: string }): Promise<ExecutionPage>;
  listChildren(executionId: string): Promise<ExecutionRecord[]>;
  /** created → running; answers the record, unchanged if it was not `created`. */
  markRunning(executionId: string): Promise<ExecutionRecord>;
  /** created | running → an end, writing the last events with it; answers the record, unchanged if it had already ended. */
  markEnded(executionId: string, end: ExecutionEnd, lastEvents?: ExecutionEvent[]): Promise<ExecutionRecord>;
  /** Writes events at their given indexes; an index already written is kept as it is (replays). */
  appendEvents(executionId: string, events: ExecutionEvent[]): Promise<void>;
  listEvents(executionId: string, after: number, limit: number): Promise<ExecutionEvent[]>;
}
