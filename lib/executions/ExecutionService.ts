import { randomUUID } from 'node:crypto';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { config } from '../config.js';
import { NotFoundError } from '../errors.js';
import { runFlow } from '../engine/runFlow.js';
import { directStepRunner, type FlowOutcome, type StepRunner } from '../engine/types.js';
import type { CompiledFlow } from '../flows/compile.js';
import type { NodeRegistry } from '../flows/nodes/registry.js';
import { NodeFailure, type FlowServices } from '../flows/nodes/types.js';
import type { PostgresFlowStore } from '../flows/PostgresFlowStore.js';
import type { IFlowLockService } from '../locks/types.js';
import { abortableSleep } from '../time.js';
import { parseInput } from '../validation.js';
import { EventWriter } from './EventWriter.js';
import { flowIdSchema } from './schemas.js';
import type { ExecutionEnd, ExecutionRecord, IExecutionStore } from './types.js';

export const MAX_EXECUTION_DEPTH = 100;

export interface ExecutionServiceOptions {
  flows: PostgresFlowStore;
  store: IExecutionStore;
  /** The lock service of the lock nodes: needed to run flows, not to save, start or cancel them. */
  flowLock?: IFlowLockService;
  registry?: NodeRegistry;
  /** The client LambdaInvokeNode uses. Default: one on LAMBDA_ENDPOINT, else AWS. */
  lambda?: LambdaClient;
  fetch?: typeof fetch;
  /** Most nodes of one execution running at once. Default 8. */
  maxParallel?: number;
  nodeTimeoutMs?: number;
  flowTimeoutMs?: number;
}

export interface StartRequest {
  input?: unknown;
  idempotencyKey?: string;
  parent?: { executionId: string; rootExecutionId: string; depth: number; nodeId: string };
}

export interface RunOptions {
  signal?: AbortSignal;
  /** How each node's work runs; the worker passes DBOS steps. */
  stepRunner?: StepRunner;
  /** Durable sleep; default an abortable timer. */
  sleep?: FlowServices['sleep'];
  /** Runs a child execution (already created) to its end; default: `run` in this process. */
  runChild?: (child: ExecutionRecord, signal: AbortSignal) => Promise<ExecutionRecord>;
  /**
   * Recognises a step error meaning another run now owns this execution (a durable workflow
   * recovered elsewhere): this run then stops at once, writes nothing more and rethrows it.
   */
  isOwnershipLost?: (error: unknown) => boolean;
}

function outcomeToEnd(outcome: FlowOutcome): ExecutionEnd {
  if (outcome.status === 'completed') return { status: 'completed', output: outcome.output };
  if (outcome.status === 'failed') return { status: 'failed', error: outcome.error };
  return { status: 'stopped', reason: outcome.reason };
}

/**
 * Saves flows and runs executions: builds the services nodes use (the lock service, a Lambda
 * client, HTTP, subflows) and runs the engine, writing status and events as it goes.
 */
export class ExecutionService {
  private registryLoaded: Promise<NodeRegistry> | undefined;
  private lambdaClient: Promise<LambdaClient> | undefined;
  private readonly compiled = new Map<string, CompiledFlow>();
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly options: ExecutionServiceOptions) {
  }

  /** Validates a definition completely (ValidationError listing every problem), then stores it. */
  async saveFlow(flowId: string, definition: unknown): Promise<{ flowId: string; version: number }> {
    parseInput(flowIdSchema, flowId, 'flowId');
    const compiled = await this.compile(definition);
    return this.options.flows.save(flowId, compiled.definition);
  }

  /** Creates an execution of the flow's newest version (or finds the one with this idempotency key). */
  async start(flowId: string, request: StartRequest = {}): Promise<{ execution: ExecutionRecord; created: boolean }> {
    parseInput(flowIdSchema, flowId, 'flowId');
    return this.options.store.create({
      executionId: randomUUID(),
      flowId,
      input: request.input ?? null,
      ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
      ...(request.parent === undefined ? {} : { parent: request.parent }),
    });
  }

  /** Runs a created execution to its end and answers the final record. */
  async run(executionId: string, options: RunOptions = {}): Promise<ExecutionRecord> {
    const { flowLock } = this.options;
    if (!flowLock) throw new TypeError('ExecutionService.run needs the flowLock option (the lock service of the lock nodes)');
    const execution = await this.options.store.markRunning(executionId);
    if (execution.status !== 'running') return execution;
    const controller = new AbortController();
    const stopOnCaller = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', stopOnCaller, { once: true });
    this.running.set(executionId, controller);
    const events = new EventWriter(this.options.store, executionId);
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
    const stepRunner = options.stepRunner ?? directStepRunner;
    const sleep = options.sleep ?? abortableSleep;
    const runChild = options.runChild;
    const guarded: RunOptions = {
      ...options,
      sleep: (ms, signal) => guard(() => sleep(ms, signal)),
      ...(runChild ? { runChild: (child, signal) => guard(() => runChild(child, signal)) } : {}),
    };
    try {
      const flow = await this.compiledFlow(execution.flowId, execution.flowVersion);
      const outcome = await runFlow(flow, {
        executionId,
        input: execution.input,
        services: this.services(execution, flowLock, guarded),
        emit: events.emit,
        signal: controller.signal,
        stepRunner: { run: (nodeId, work) => guard(() => stepRunner.run(nodeId, work)) },
        ...(this.options.maxParallel === undefined ? {} : { maxParallel: this.options.maxParallel }),
        ...(this.options.nodeTimeoutMs === undefined ? {} : { nodeTimeoutMs: this.options.nodeTimeoutMs }),
        ...(this.options.flowTimeoutMs === undefined ? {} : { flowTimeoutMs: this.options.flowTimeoutMs }),
        // Set once, by the first run: a run resuming this execution elsewhere keeps its deadline.
        ...(execution.startedAt === null ? {} : { startedAt: Date.parse(execution.startedAt) }),
      });
      if (ownershipLost !== undefined) throw ownershipLost;
      return await this.options.store.markEnded(executionId, outcomeToEnd(outcome), await events.drain());
    } finally {
      this.running.delete(executionId);
      options.signal?.removeEventListener('abort', stopOnCaller);
    }
  }

  /**
   * Stops an execution: one that has not started ends `stopped` at once; one running in this
   * process is aborted and ends `stopped` when its nodes let go. An ended one is answered as it is.
   */
  async cancel(executionId: string, reason = 'cancelled'): Promise<ExecutionRecord> {
    const execution = await this.options.store.get(executionId);
    if (!execution) throw new NotFoundError(`execution ${executionId} does not exist`);
    if (execution.status === 'created') return this.options.store.markEnded(executionId, { status: 'stopped', reason });
    this.abort(executionId, reason);
    return execution;
  }

  /** Aborts an execution running in this process, if it is; answers whether it was. */
  abort(executionId: string, reason: string): boolean {
    const controller = this.running.get(executionId);
    controller?.abort(reason);
    return controller !== undefined;
  }

  /** The executions running in this process now. */
  runningExecutionIds(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Compiles with the node registry, loaded on first use: the Lambdas that only start, read or
   * cancel executions never load the node types (JSONata among them).
   */
  private async compile(definition: unknown): Promise<CompiledFlow> {
    this.registryLoaded ??= this.options.registry
      ? Promise.resolve(this.options.registry)
      : import('../flows/nodes/registry.js').then(({ NodeRegistry }) => new NodeRegistry());
    const [{ compileFlow }, registry] = await Promise.all([import('../flows/compile.js'), this.registryLoaded]);
    return compileFlow(definition, registry);
  }

  private lambda(): Promise<LambdaClient> {
    this.lambdaClient ??= this.options.lambda
      ? Promise.resolve(this.options.lambda)
      : import('@aws-sdk/client-lambda').then(({ LambdaClient }) => {
          const { lambdaEndpoint } = config();
          return new LambdaClient(lambdaEndpoint ? { endpoint: lambdaEndpoint } : {});
        });
    return this.lambdaClient;
  }

  private async compiledFlow(flowId: string, version: number): Promise<CompiledFlow> {
    const key = `${flowId}@${version}`;
    let flow = this.compiled.get(key);
    if (!flow) {
      const stored = await this.options.flows.get(flowId, version);
      if (!stored) throw new NotFoundError(`flow ${flowId} version ${version} does not exist`);
      flow = await this.compile(stored.definition);
      this.compiled.set(key, flow);
    }
    return flow;
  }

  private services(execution: ExecutionRecord, flowLock: IFlowLockService, options: RunOptions): FlowServices {
    return {
      flowLock,
      lambda: () => this.lambda(),
      fetch: this.options.fetch ?? fetch,
      sleep: options.sleep ?? abortableSleep,
      subflow: async (flowId, input, caller) => {
        if (execution.depth + 1 > MAX_EXECUTION_DEPTH) throw new NodeFailure(`subflows nest at most ${MAX_EXECUTION_DEPTH} deep`);
        const { execution: child } = await this.start(flowId, {
          input,
          // The parent's node names its child, so a replayed SubflowNode finds the same child.
          idempotencyKey: `subflow:${execution.executionId}:${caller.nodeId}`,
          parent: { executionId: execution.executionId, rootExecutionId: execution.rootExecutionId, depth: execution.depth, nodeId: caller.nodeId },
        });
        const runChild = options.runChild ?? ((created, signal) => this.run(created.executionId, { ...options, signal }));
        const ended = child.status === 'completed' || child.status === 'failed' || child.status === 'stopped' ? child : await runChild(child, caller.signal);
        if (ended.status === 'completed') return ended.output;
        throw new NodeFailure(`subflow ${flowId} (${ended.executionId}) ${ended.status}: ${ended.error?.message ?? 'no output'}`);
      },
    };
  }
}
