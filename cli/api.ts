import type { EventsPage, StartAnswer } from '../lib/executions/control/ExecutionControl.js';
import type { ExecutionPage, ExecutionRecord } from '../lib/executions/types.js';
import type { FlowDefinition } from '../lib/flows/definition.js';
import type { FlowSummary } from '../lib/flows/PostgresFlowStore.js';
import type { AcquireResult, LockState, ReleaseResult } from '../lib/locks/types.js';

/** A flow as reading it answers: `GET /flows/{flowId}`, the `getFlow` function. */
export interface FlowAnswer {
  flowId: string;
  version: number;
  definition: FlowDefinition;
}

/**
 * What the command line asks of FireFlow, the same over both transports: the HTTP API (`--api`)
 * and the invoke functions (`--lambda`). Each method answers what the API answers; failures are
 * FireFlow's typed errors (ValidationError, NotFoundError, ConflictError) or a CliError.
 */
export interface FireflowApi {
  /** Where the calls go, for messages: a URL, or the function names' prefix. */
  readonly target: string;
  saveFlow(flowId: string, definition: unknown): Promise<{ flowId: string; version: number }>;
  getFlow(flowId: string): Promise<FlowAnswer>;
  listFlows(): Promise<{ items: FlowSummary[] }>;
  startExecution(flowId: string, request: { input?: unknown; idempotencyKey?: string }): Promise<StartAnswer>;
  listExecutions(flowId: string, page: { limit?: number; cursor?: string }): Promise<ExecutionPage>;
  getExecution(executionId: string): Promise<ExecutionRecord>;
  getEvents(executionId: string, after: number, waitMs: number): Promise<EventsPage>;
  cancelExecution(executionId: string, reason?: string): Promise<ExecutionRecord>;
  /** Answers at once: the record, or (over HTTP) `{executionId, status}`. */
  redriveExecution(executionId: string): Promise<Pick<ExecutionRecord, 'executionId' | 'status'>>;
  sendSignal(executionId: string, signal: string, request: { payload?: unknown; signalId?: string }): Promise<{ accepted: true }>;
  inspectLock(lockKey: string): Promise<LockState & { lockKey: string }>;
  acquireLock(lockKey: string, lockTtlMs: number, waitTimeoutMs: number): Promise<AcquireResult>;
  releaseLock(lockKey: string, lockId: string): Promise<ReleaseResult>;
}

/** How long one events read waits for news: under API Gateway's limit, short enough to notice an interrupt. */
export const EVENTS_WAIT_MS = 20_000;
