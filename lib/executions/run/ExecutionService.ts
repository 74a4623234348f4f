import { setTimeout as sleepFor } from 'node:timers/promises';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { runFlow } from '../../engine/runFlow.js';
import { directStepRunner, type FlowOutcome, type SettledNode, type StepRunner } from '../../engine/types.js';
import { NodeError } from '../../errors.js';
import { ExpressionPool } from '../../expressions/ExpressionPool.js';
import { guardedHttpClient, type HttpClient } from '../../http/client.js';
import { DEFAULT_FLOW_LIMITS, type FlowLimits } from '../../limits.js';
import type { FlowCatalog } from '../../flows/FlowCatalog.js';
import type { FlowServices, NodeOutputs } from '../../flows/nodes/types.js';
import { REDACTED } from '../../flows/secrets.js';
import type { IFlowLockService } from '../../locks/types.js';
import type { ExecutionEnd, ExecutionRecord, IExecutionStore, RedriveStart } from '../types.js';
import { ChildLauncher, type ChildRun, type StartChild } from './children.js';
import { EventBatcher } from './EventWriter.js';
import { runForEach } from './forEach.js';
import { RunSlot, WorkSlots } from './workSlots.js';

export interface ExecutionServiceOptions {
  flows: FlowCatalog;
  store: IExecutionStore;
  /** The lock service of FFDBLockAcquireNode and FFDBLockReleaseNode. */
  flowLock: IFlowLockService;
  /** The client of LambdaInvokeNode, or how to make it on first use. Default: the AWS SDK's defaults. */
  lambda?: LambdaClient | (() => Promise<LambdaClient>);
  /** HttpRequestNode's HTTP client. Default: one that reaches public addresses only (guardedHttpClient). */
  http?: HttpClient;
  /** Most nodes of one execution running at once. Default 8. */
  maxParallel?: number;
  nodeTimeoutMs?: number;
  /** Timeout of flows that set none themselves. Default: none. */
  flowTimeoutMs?: number;
  /** What a flow may use. Default: DEFAULT_FLOW_LIMITS. */
  limits?: FlowLimits;
  /** Resolves `{"$secret": name}` static inputs. Default: no secrets (a reference fails its node `InvalidInput`). */
  secret?: FlowServices['secret'];
  /**
   * Most executions of this process doing work at once (WORKER_CONCURRENCY), children included;
   * an execution whose started nodes all wait lends its slot out. Default: no limit.
   */
  workSlots?: number;
  /** Where TransformNode expressions are evaluated. Default: a pool of its own (two threads, 256 MB each). */
  expressions?: Pick<ExpressionPool, 'evaluate'>;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** How each node's work runs; the worker passes DBOS steps. */
  stepRunner?: StepRunner;
  /** Durable sleep; default an abortable timer. */
  sleep?: FlowServices['sleep'];
  /**
   * Waits for a signal; the worker passes DBOS messages. Default: none, as signals reach an
   * execution only through its DBOS workflow (a WaitForSignalNode run in-process fails).
   */
  waitForSignal?: FlowServices['waitForSignal'];
  /** Runs a created child execution; default: `run` in this process. */
  startChild?: StartChild;
  /**
   * Recognises a step error meaning another run now owns this execution (a durable workflow
   * recovered elsewhere): this run then stops at once, writes nothing more and rethrows it.
   */
  isOwnershipLost?: (error: unknown) => boolean;
  /**
   * The outputs nodes completed with in run `run` of an execution, as its durable steps hold them
   * (unredacted). A redrive hands these on where its history reads "[redacted]" (a lockId), so
   * that redacted values still flow along edges. Default: none (redacted values stay redacted).
   */
  recordedOutputs?: (executionId: string, run: number) => Promise<Record<string, NodeOutputs>>;
}

const sleepUnlessAborted: FlowServices['sleep'] = (ms, signal) => sleepFor(ms, undefined, { signal });
const noSignals: FlowServices['waitForSignal'] = async () => {
  throw new NodeError('FlowError', 'signals reach an execution through the worker: run this flow on a DBOSExecutionWorker');
};

/** The step that reads where a redrive starts from. */
export const REDRIVE_START_STEP = 'redrive-start';

/** `start` with the unredacted outputs of settled nodes whose history reads "[redacted]", where they are recorded. */
async function withRecordedValues(start: RedriveStart, recorded: () => Promise<Record<string, NodeOutputs>>): Promise<RedriveStart> {
  const redactedNodes = Object.keys(start.settled).filter((nodeId) => {
    const settled = start.settled[nodeId] as SettledNode;
    return 'outputs' in settled && JSON.stringify(settled.outputs).includes(REDACTED);
  });
  if (redactedNodes.length === 0) return start;
  const outputs = await recorded();
  const settled = { ...start.settled };
  for (const nodeId of redactedNodes) {
    const found = outputs[nodeId];
    if (found) settled[nodeId] = { outputs: found };
  }
  return { ...start, settled };
}

function outcomeToEnd(outcome: FlowOutcome): ExecutionEnd {
  if (outcome.status === 'completed') return { status: 'completed', output: outcome.output };
  if (outcome.status === 'failed') return { status: 'failed', error: outcome.error };
  return { status: 'stopped', reason: outcome.reason };
}

/**
 * The run side of executions: runs a created execution's flow to its end, giving its nodes their
 * services (the lock service, a Lambda client, HTTP, sleep, subflows) and writing status and
 * events as it goes. The worker runs it inside a durable workflow; it never enqueues anything.
 */
export class ExecutionService {
  private lambdaClient: Promise<LambdaClient> | undefined;
  private readonly http: HttpClient;
  private readonly running = new Map<string, AbortController>();
  private readonly slots: WorkSlots;
  private readonly expressions: Pick<ExpressionPool, 'evaluate'>;
  private readonly events: EventBatcher;

  constructor(private readonly options: ExecutionServiceOptions) {
    this.events = new EventBatcher(options.store);
    this.http = options.http ?? guardedHttpClient([]);
    this.slots = new WorkSlots(options.workSlots ?? Number.POSITIVE_INFINITY);
    this.expressions = options.expressions ?? new ExpressionPool();
  }

  /** Runs a created execution to its end and answers the final record. */
  async run(executionId: string, options: RunOptions = {}): Promise<ExecutionRecord> {
    const slot = new RunSlot(this.slots);
    await slot.take();
    try {
      return await this.runHolding(slot, executionId, options);
    } finally {
      slot.giveUp();
    }
  }

  private async runHolding(slot: RunSlot, executionId: string, options: RunOptions): Promise<ExecutionRecord> {
    const { store } = this.options;
    const execution = await store.markRunning(executionId);
    if (execution.status !== 'running') return execution;
    const stepRunner = options.stepRunner ?? directStepRunner;
    // A redriven run starts from what earlier runs settled, read once as a step: a replay of this
    // run must start from the same place, not from what this run has added since.
    const redriveStart =
      execution.redriveCount === 0
        ? undefined
        : await stepRunner.run(REDRIVE_START_STEP, async () =>
            withRecordedValues(await store.redriveStart(executionId), () => options.recordedOutputs?.(executionId, execution.redriveCount - 1) ?? Promise.resolve({})),
          );
    const controller = new AbortController();
    const stopOnCaller = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', stopOnCaller, { once: true });
    this.running.set(executionId, controller);
    const events = this.events.writer(execution, redriveStart?.nextIndex);
    let ownershipLost: unknown;
    /** Runs durable work; if it reports lost ownership, this run stops writing and winds down. */
    const guard = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        if (options.isOwnershipLost?.(error)) {
          ownershipLost ??= error;
          events.stop();
          controller.abort(error);
        }
        throw error;
      }
    };
    const sleep = options.sleep ?? sleepUnlessAborted;
    const waitForSignal = options.waitForSignal ?? noSignals;
    const startChild = options.startChild ?? ((child, signal) => this.startInProcess(child, signal, options));
    try {
      const flow = await this.options.flows.compiledVersion(execution.flowId, execution.flowVersion);
      const outcome = await runFlow(flow, {
        executionId,
        input: execution.input,
        services: this.services(execution, {
          sleep: (ms, signal) => slot.whileWaiting(() => guard(() => sleep(ms, signal))),
          startChild: async (child, signal) => {
            const run = await guard(() => startChild(child, signal));
            return { ended: () => slot.whileWaiting(() => guard(() => run.ended())), cancel: (reason) => guard(() => run.cancel(reason)) };
          },
          waitForSignal: (name, timeoutMs, caller) => slot.whileWaiting(() => guard(() => waitForSignal(name, timeoutMs, caller))),
          step: (name, work) => guard(() => stepRunner.run(name, work)),
        }),
        emit: events.emit,
        signal: controller.signal,
        stepRunner: { run: (nodeId, work) => guard(() => stepRunner.run(nodeId, work)) },
        ...(this.options.maxParallel === undefined ? {} : { maxParallel: this.options.maxParallel }),
        ...(this.options.nodeTimeoutMs === undefined ? {} : { nodeTimeoutMs: this.options.nodeTimeoutMs }),
        ...(this.options.flowTimeoutMs === undefined ? {} : { flowTimeoutMs: this.options.flowTimeoutMs }),
        // Set by the first run (or the redrive): a run resuming this one elsewhere keeps its deadline.
        ...(execution.startedAt === null ? {} : { startedAt: Date.parse(execution.startedAt) }),
        ...(redriveStart ? { settled: redriveStart.settled } : {}),
        activity: slot,
      });
      if (ownershipLost !== undefined) throw ownershipLost;
      return await store.markEnded(execution, outcomeToEnd(outcome), await events.drain());
    } finally {
      if (this.running.get(executionId) === controller) this.running.delete(executionId);
      options.signal?.removeEventListener('abort', stopOnCaller);
    }
  }

  /** Aborts an execution running in this process, if it is; answers whether it was. */
  abort(executionId: string, reason: string): boolean {
    const controller = this.running.get(executionId);
    controller?.abort(reason);
    return controller !== undefined;
  }

  /** Runs a child in this process, as `run` does; cancelling it aborts that run. */
  private async startInProcess(child: ExecutionRecord, signal: AbortSignal, options: RunOptions): Promise<ChildRun> {
    const controller = new AbortController();
    const stop = () => controller.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    const running = this.run(child.executionId, { ...options, signal: controller.signal }).finally(() => signal.removeEventListener('abort', stop));
    running.catch(() => undefined);
    return { ended: () => running, cancel: async (reason) => controller.abort(reason) };
  }

  private lambda(): Promise<LambdaClient> {
    const { lambda } = this.options;
    this.lambdaClient ??=
      typeof lambda === 'function'
        ? lambda()
        : lambda
          ? Promise.resolve(lambda)
          : import('@aws-sdk/client-lambda').then(({ LambdaClient }) => new LambdaClient({}));
    return this.lambdaClient;
  }

  private services(
    execution: ExecutionRecord,
    durable: { sleep: FlowServices['sleep']; startChild: StartChild; waitForSignal: FlowServices['waitForSignal']; step: StepRunner['run'] },
  ): FlowServices {
    const limits = this.options.limits ?? DEFAULT_FLOW_LIMITS;
    const children = new ChildLauncher(this.options.store, execution, durable.startChild, durable.step, limits.maxDescendants);
    return {
      limits,
      flowLock: this.options.flowLock,
      expressions: this.expressions,
      secret: this.options.secret ?? (async () => undefined),
      lambda: () => this.lambda(),
      http: this.http,
      sleep: durable.sleep,
      waitForSignal: durable.waitForSignal,
      subflow: async (flowId, input, caller) => {
        // The parent's node (and attempt, when it is retried) names its child, so a replayed
        // SubflowNode finds the same child and a retry starts a new one.
        const key = `subflow:${execution.executionId}:${caller.nodeId}${caller.attempt > 1 ? `:attempt-${caller.attempt}` : ''}`;
        const [run] = await children.launch(flowId, caller.nodeId, [{ input, key }], caller.signal);
        const ended = await (run as ChildRun).ended();
        if (ended.status === 'completed') return ended.output;
        throw new NodeError('SubflowFailed', `subflow ${flowId} (${ended.executionId}) ${ended.status}: ${ended.error?.message ?? 'no output'}`, {
          details: { executionId: ended.executionId, error: ended.error },
        });
      },
      forEach: (flowId, items, settings, caller) =>
        runForEach(children, { executionId: execution.executionId, flowId, items, ...settings, ...caller, step: (name, work) => durable.step(name, work) }),
    };
  }
}
