import type { ErrorRecord } from '../errors.js';

/** How a node settled in an earlier run of the execution: its outputs, or a failure that was handled. */
export type SettledNode = { outputs: Record<string, unknown> } | { error: ErrorRecord };

/** Event types the engine and nodes emit (the store adds `execution:created` and `execution:redriven`). */
export type EngineEventType =
  | 'flow:started'
  | 'node:started'
  | 'node:completed'
  | 'node:failed'
  | 'node:retrying'
  | 'node:waiting'
  | 'node:progress'
  | 'node:skipped'
  | 'flow:completed'
  | 'flow:failed'
  | 'flow:cancelled';

export interface EngineEvent {
  type: EngineEventType;
  nodeId?: string;
  data?: unknown;
}

/**
 * The one place each node's work runs. The default runs it directly; the worker runs it as a
 * checkpointed DBOS step named after the node, so a completed node never runs again.
 */
export interface StepRunner {
  run<T>(nodeId: string, work: () => Promise<T>): Promise<T>;
}

export const directStepRunner: StepRunner = { run: (_nodeId, work) => work() };

export type FlowOutcome =
  | { status: 'completed'; output: unknown }
  | { status: 'failed'; error: ErrorRecord }
  | { status: 'cancelled'; reason: string };
