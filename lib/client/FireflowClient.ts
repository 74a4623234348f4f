import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { EventsPage, StartAnswer } from '../executions/control/ExecutionControl.js';
import { INVOKE_WAIT_MAX_MS } from '../executions/control/limits.js';
import type { ExecutionRecord } from '../executions/types.js';
import type { FlowDefinition } from '../flows/definition.js';
import { invokeFireflow } from './invoke.js';
import { resolveClientOptions, type FireflowClientOptions } from './LambdaFlowLockService.js';

export interface StartOptions {
  input?: unknown;
  /** The same key for the same flow answers the same execution. */
  idempotencyKey?: string;
}

/**
 * FireFlow for other Lambdas, over `@aws-sdk/client-lambda`: save and read flows, start executions
 * (and wait for them, Step Functions style), read them and their events, cancel, redrive and
 * signal them. Failures arrive as typed errors (ValidationError, NotFoundError, ConflictError).
 */
export class FireflowClient {
  private readonly lambda: LambdaClient;
  private readonly prefix: string;

  constructor(options: FireflowClientOptions = {}) {
    ({ lambda: this.lambda, prefix: this.prefix } = resolveClientOptions(options));
  }

  /** Enqueues an execution and answers at once: `{executionId, status}`. */
  startExecution(flowId: string, options: StartOptions = {}): Promise<StartAnswer> {
    return invokeFireflow(this.lambda, `${this.prefix}startExecution`, { flowId, ...options, waitMs: 0 });
  }

  /** Starts an execution and waits up to `waitMs` for its end: the answer carries `output` or `error` once ended. */
  startExecutionAndWait(flowId: string, options: StartOptions & { waitMs?: number } = {}): Promise<StartAnswer> {
    return invokeFireflow(this.lambda, `${this.prefix}startExecution`, { flowId, ...options, waitMs: options.waitMs ?? INVOKE_WAIT_MAX_MS });
  }

  getExecution(executionId: string): Promise<ExecutionRecord> {
    return invokeFireflow(this.lambda, `${this.prefix}getExecution`, { executionId });
  }

  /** Sends a signal to an execution; a WaitForSignalNode waiting for `signal` takes it. */
  sendSignal(executionId: string, signal: string, options: { payload?: unknown; signalId?: string } = {}): Promise<{ accepted: true }> {
    return invokeFireflow(this.lambda, `${this.prefix}sendSignal`, { executionId, signal, ...options });
  }

  /** Runs a failed or stopped execution again from where it ended; answers the record at once. */
  redriveExecution(executionId: string): Promise<ExecutionRecord> {
    return invokeFireflow(this.lambda, `${this.prefix}redriveExecution`, { executionId, waitMs: 0 });
  }

  /** Redrives an execution and waits up to `waitMs` for its end. */
  redriveExecutionAndWait(executionId: string, options: { waitMs?: number } = {}): Promise<ExecutionRecord> {
    return invokeFireflow(this.lambda, `${this.prefix}redriveExecution`, { executionId, waitMs: options.waitMs ?? INVOKE_WAIT_MAX_MS });
  }

  cancelExecution(executionId: string, reason?: string): Promise<ExecutionRecord> {
    return invokeFireflow(this.lambda, `${this.prefix}cancelExecution`, { executionId, ...(reason === undefined ? {} : { reason }) });
  }

  /** The execution's events after index `after` (default -1: from the first); with `waitMs`, waits for the first new one. */
  getExecutionEvents(executionId: string, options: { after?: number; waitMs?: number } = {}): Promise<EventsPage> {
    return invokeFireflow(this.lambda, `${this.prefix}getExecutionEvents`, { executionId, ...options });
  }

  /** Validates and saves a flow definition: `{flowId, version}`, the same version for the same content. */
  saveFlow(flowId: string, definition: unknown): Promise<{ flowId: string; version: number }> {
    return invokeFireflow(this.lambda, `${this.prefix}saveFlow`, { flowId, definition });
  }

  /** The flow's newest version. */
  getFlow(flowId: string): Promise<{ flowId: string; version: number; definition: FlowDefinition }> {
    return invokeFireflow(this.lambda, `${this.prefix}getFlow`, { flowId });
  }
}
