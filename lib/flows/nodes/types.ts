import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { ErrorRecord } from '../../errors.js';
import type { ExpressionPool } from '../../expressions/ExpressionPool.js';
import type { HttpClient } from '../../http/client.js';
import type { FlowLimits } from '../../limits.js';
import type { IFlowLockService } from '../../locks/types.js';
import type { PortSpec } from '../ports.js';

/** What a running flow offers its nodes; the worker supplies durable versions of `sleep` and `subflow`. */
export interface FlowServices {
  /** What a flow may use (expression deadline and depth, output sizes). */
  limits: FlowLimits;
  flowLock: IFlowLockService;
  /** Evaluates JSONata away from the worker's event loop, within the expression limits. */
  expressions: Pick<ExpressionPool, 'evaluate'>;
  /** A secret's value by name (what a `{"$secret": name}` static input stands for); undefined when there is none. */
  secret(name: string): Promise<string | undefined>;
  /** The Lambda client, created (and the AWS SDK loaded) on first use: most flows never need it. */
  lambda(): Promise<LambdaClient>;
  /** Sends HttpRequestNode's requests, one exchange each (the node follows redirects itself). */
  http: HttpClient;
  /** Waits `ms`, or rejects when `signal` aborts. Durable under the worker. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Runs another flow as a child execution of the node `nodeId` and answers its output. */
  subflow(flowId: string, input: unknown, caller: { nodeId: string; attempt: number; signal: AbortSignal }): Promise<unknown>;
  /** Runs flow `flowId` once per item as child executions of the node (ForEachNode). */
  forEach(
    flowId: string,
    items: unknown[],
    settings: ForEachSettings,
    caller: { nodeId: string; attempt: number; signal: AbortSignal; report(event: NodeReport): Promise<void> },
  ): Promise<ForEachOutcome>;
  /**
   * Waits durably for the next signal named `name` sent to this execution, at most `timeoutMs`;
   * answers it, or null when the time ran out. `onWaiting` learns when the wait times out, once.
   */
  waitForSignal(name: string, timeoutMs: number, caller: { signal: AbortSignal; onWaiting(timeoutAt: string): Promise<void> }): Promise<SignalMessage | null>;
}

export interface ForEachSettings {
  /** Most children running at once. */
  maxConcurrency: number;
  /** How many items may fail before the node fails. */
  toleratedFailures: number;
}

/** What a ForEachNode resolves: each item's output in item order (null for a failed one), and the failures. */
export interface ForEachOutcome {
  results: unknown[];
  failures: Array<{ index: number; executionId: string; error: ErrorRecord | null }>;
  succeeded: number;
  failed: number;
}

/** A signal as it reaches a waiting node: its payload (null when none was sent) and when FireFlow accepted it. */
export interface SignalMessage {
  payload: unknown;
  receivedAt: string;
}

/** Events a node reports itself while it runs (the engine writes the others). */
export type NodeReport = { type: 'node:waiting'; data: { signal: string; timeoutAt: string } } | { type: 'node:progress'; data: { total: number; succeeded: number; failed: number; running: number } };

export interface NodeContext {
  executionId: string;
  nodeId: string;
  /** Which attempt this is, from 1 (a retry policy may run a node more than once). */
  attempt: number;
  /** The execution's input (what FlowInputNode hands on). */
  input: unknown;
  /** Aborts on cancellation, on the node's timeout and on the flow's timeout. */
  signal: AbortSignal;
  services: FlowServices;
  /** Writes one of the node's own events (numbered in order with the engine's). */
  report(event: NodeReport): Promise<void>;
}

/** The outputs a node resolved. An output it leaves out is unresolved: its consumers are skipped. */
export type NodeOutputs = Record<string, unknown>;

/**
 * A node type: its ports and what it does. Adding a node type is one new file exporting one of
 * these, listed in the registry.
 */
export interface NodeType {
  type: string;
  description: string;
  inputs: Record<string, PortSpec>;
  outputs: Record<string, PortSpec>;
  /**
   * True for nodes whose work is itself durable through `services` (SleepNode, SubflowNode): the
   * engine runs them directly instead of through the step runner, which cannot nest them.
   */
  runsOutsideStep?: boolean;
  /**
   * True for nodes that make several durable calls one after another (SubflowNode, ForEachNode,
   * WaitForSignalNode): a replay must repeat them in the same order, so such a node runs with no
   * other node of its wave at the same time, and takes no node `timeoutMs` (a timeout could not
   * stop its durable waits; each bounds its own work instead).
   */
  runsAlone?: boolean;
  /**
   * Whether this node's result depends only on its inputs and it touches nothing outside the
   * execution, given its static inputs and which inputs arrive along edges. Such a node is
   * recomputed on replay, like DBOS workflow code, instead of being a checkpointed step (one
   * database write less). Default: no (a step).
   */
  isPure?(staticInputs: Record<string, unknown>, wired: ReadonlySet<string>): boolean;
  /** The limit that bounds each attempt when the node sets no `timeoutMs` of its own (HttpRequestNode: HTTP_TIMEOUT_MS). */
  timeoutLimit?: 'httpTimeoutMs';
  /** Checks static input values at save time; answers problems as messages for the port. */
  validateStatic?(inputs: Record<string, unknown>): Array<{ port: string; message: string }>;
  /**
   * Values this node handles that must read "[redacted]" wherever FireFlow records them (events,
   * records, an execution's output, logs), also after an edge carried them on; they still flow
   * along edges. Called after every attempt, a replayed one too, with the wired inputs (secret
   * references unresolved: their values are redacted already) and the outputs if it succeeded;
   * and, with one input alone, as soon as an upstream node resolves the value of that input (so
   * that the upstream node's own record is redacted too).
   */
  sensitiveValues?(inputs: Record<string, unknown>, outputs: NodeOutputs | undefined): unknown[];
  /** Does the node's work; a failure is a thrown NodeError (anything else counts as a `FlowError`). */
  run(inputs: Record<string, unknown>, context: NodeContext): Promise<NodeOutputs>;
}
