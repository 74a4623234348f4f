import { hostname } from 'node:os';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { DBOS, DBOSClient, Error as DBOSErrors } from '@dbos-inc/dbos-sdk';
import { config as environmentConfig, type FireflowConfig } from '../config.js';
import { createPool, requireDatabaseUrl, retryingTransientErrors, type Pool } from '../db.js';
import type { StepRunner } from '../engine/types.js';
import { DBOS_APPLICATION_NAME, EXECUTION_QUEUE_NAME, signalTopic, workflowIdOf } from '../executions/names.js';
import { ExecutionService, REDRIVE_START_STEP } from '../executions/run/ExecutionService.js';
import type { ChildRun } from '../executions/run/children.js';
import { ENDED_STATUSES, type ExecutionRecord, type IExecutionStore, type RedriveStart } from '../executions/types.js';
import { ExpressionPool } from '../expressions/ExpressionPool.js';
import { FlowCatalog } from '../flows/FlowCatalog.js';
import { environmentSecrets, secretsManagerSecrets } from '../aws/flowSecrets.js';
import { guardedHttpClient } from '../http/client.js';
import type { FlowServices, NodeOutputs, SignalMessage } from '../flows/nodes/types.js';
import { PostgresFlowStore } from '../flows/PostgresFlowStore.js';
import { PostgresFlowLockService } from '../locks/PostgresFlowLockService.js';
import { logger } from '../logger.js';
import { untilAborted } from '../time.js';
import { bindExecutionWorkflow, executionWorkflow, type WorkflowResult } from './executionWorkflow.js';
import { WorkerRegistry } from './WorkerRegistry.js';

export interface DBOSExecutionWorkerOptions {
  /** Global limit of executions running at once across every worker. Default QUEUE_CONCURRENCY. */
  concurrency?: number;
  /** Limit of executions running at once in this process. Default WORKER_CONCURRENCY. */
  workerConcurrency?: number;
  /** DBOS executor ID. Default WORKER_ID, else the ECS task ID, else host-pid. */
  executorId?: string;
  /** Default DATABASE_URL. */
  databaseUrl?: string;
  /**
   * The pool of the worker's own statements (heartbeats; the default ExecutionService's flow reads,
   * which wait out database outages for WORKER_DB_RETRY_MS, and lock statements). Default: a pool
   * of its own, closed by `stop()`.
   */
  pool?: Pool;
  /** Every setting not given above. Default: read from the environment (lib/config.ts). */
  config?: FireflowConfig;
}

/** The workflow `workflowId` itself was cancelled (a child's cancellation reaches its parent as the same error, with the child's ID). */
const isCancellationOf = (workflowId: string) => (error: unknown) => error instanceof DBOSErrors.DBOSWorkflowCancelledError && error.workflowID === workflowId;
/** DBOS gave the workflow to another run of it (recovery): this run must step aside. */
const isOwnershipLost = (error: unknown) => error instanceof DBOSErrors.DBOSWorkflowConflictError;

/** How often running executions are checked for a cancel (DBOS notices cancels at steps only). */
const CANCEL_CHECK_MS = 500;

/**
 * Hosts DBOS in a long-running process: dequeues executions from the PostgreSQL-backed queue
 * and runs each as the durable workflow `executeFireFlow`, every node a checkpointed step.
 * Beats in `fireflow_workers`, resumes the executions of workers of its release that stopped
 * beating, and hands its own back when it stops.
 */
export class DBOSExecutionWorker {
  private readonly settings: FireflowConfig;
  private readonly databaseUrl: string;
  private readonly pool: Pool;
  private readonly service: ExecutionService;
  /** What this worker created itself, and so closes when it stops. */
  private readonly owned: { pool?: Pool; locks?: PostgresFlowLockService; expressions?: ExpressionPool } = {};
  private starting: Promise<void> | undefined;
  private running = false;
  private timers: NodeJS.Timeout[] = [];
  private registry: WorkerRegistry | undefined;
  private executorId: string | undefined;
  private unbind: (() => void) | undefined;
  /** Cancels child runs from outside any workflow: a cancel made from inside one is a durable call, at a moment a replay cannot repeat. */
  private client: DBOSClient | undefined;
  /** The workflows running here now, by workflow ID, each with what stops its run. */
  private readonly runningWorkflows = new Map<string, AbortController>();

  constructor(
    private readonly store: IExecutionStore,
    executionService: ExecutionService | null,
    private readonly options: DBOSExecutionWorkerOptions = {},
  ) {
    this.settings = options.config ?? environmentConfig();
    this.databaseUrl = requireDatabaseUrl(options.databaseUrl ?? this.settings.databaseUrl);
    this.pool = options.pool ?? this.ownPool();
    this.service = executionService ?? this.defaultService(store);
  }

  getQueueName(): string {
    return EXECUTION_QUEUE_NAME;
  }

  isWorkerRunning(): boolean {
    return this.running;
  }

  /** The executor ID this worker runs as (set once started). */
  getExecutorId(): string | undefined {
    return this.executorId;
  }

  /** Launches DBOS, registers the queue and starts beating. Calling it again is harmless. */
  start(): Promise<void> {
    this.starting ??= this.launch();
    return this.starting;
  }

  /**
   * Stops dequeuing, lets running executions finish for up to WORKER_STOP_TIMEOUT_MS, then hands
   * back what remains (survivors resume it at once) and closes DBOS's connections and its own.
   * The process should exit afterwards: executions still running here are resumed elsewhere.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await DBOS.shutdown({ workflowCompletionTimeoutMS: this.settings.workerStopTimeoutMs });
    await this.registry?.markStopped();
    this.unbind?.();
    await this.client?.destroy();
    await this.owned.locks?.close();
    await this.owned.expressions?.close();
    await this.owned.pool?.end();
    logger.info('worker stopped', { executorId: this.executorId });
  }

  /** The body of `executeFireFlow`. */
  private async runExecution(executionId: string): Promise<WorkflowResult> {
    const workflowId = DBOS.workflowID ?? executionId;
    const stopRun = new AbortController();
    /** DBOS work of this run; if its workflow was cancelled meanwhile, the run stops (the execution ends `stopped`, not `failed`). */
    const durably = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        if (isCancellationOf(workflowId)(error)) stopRun.abort('cancelled');
        throw error;
      }
    };
    const stepRunner: StepRunner = { run: (nodeId, work) => durably(() => DBOS.runStep(work, { name: nodeId })) };
    // Durable: the wake-up time is checkpointed, and the wait itself gives way to cancellation.
    const sleep: FlowServices['sleep'] = async (ms, signal) => {
      const wakeAt = await durably(() => DBOS.runStep(async () => Date.now() + ms, { name: 'sleep' }));
      await sleepFor(Math.max(0, wakeAt - Date.now()), undefined, { signal });
    };
    // The deadline is checkpointed, so a wait resumed after a crash gets only what is left of it.
    const waitForSignal: FlowServices['waitForSignal'] = async (name, timeoutMs, caller) => {
      const timeoutAt = await durably(() => DBOS.runStep(async () => Date.now() + timeoutMs, { name: 'signal-deadline' }));
      await caller.onWaiting(new Date(timeoutAt).toISOString());
      return durably(() => untilAborted(DBOS.recv<SignalMessage>(signalTopic(name), { deadlineEpochMS: timeoutAt }), caller.signal));
    };
    this.runningWorkflows.set(workflowId, stopRun);
    try {
      const ended = await this.service.run(executionId, {
        signal: stopRun.signal,
        stepRunner,
        sleep,
        waitForSignal,
        startChild: (child, signal) => durably(() => this.startChildWorkflow(child, signal, durably, isCancellationOf(workflowId))),
        isOwnershipLost,
        recordedOutputs,
      });
      return ended;
    } finally {
      if (this.runningWorkflows.get(workflowId) === stopRun) this.runningWorkflows.delete(workflowId);
    }
  }

  /**
   * Starts a child execution as a child workflow. Its end is awaited in the order the parent asks,
   * which a replay repeats; a cancel stops its workflow and ends its record at once, as the cancel
   * API does.
   */
  private async startChildWorkflow(
    child: ExecutionRecord,
    signal: AbortSignal,
    durably: <T>(work: () => Promise<T>) => Promise<T>,
    isOwnCancellation: (error: unknown) => boolean,
  ): Promise<ChildRun> {
    const workflowId = workflowIdOf(child);
    const handle = await DBOS.startWorkflow(executionWorkflow(), { workflowID: workflowId })(child.executionId);
    const cancel = async (reason: string) => {
      await (this.client as DBOSClient).cancelWorkflow(workflowId, { cancelChildren: true });
      await this.store.cancel(child.executionId, reason);
    };
    // A child under way is cancelled with its parent or its node's end, whether or not the parent
    // awaits it yet (the cancel API also cancels the children of what it cancels).
    const cancelWithParent = () => void cancel('its parent stopped').catch((error: unknown) => logger.warn('cancelling a child failed', { error }));
    if (signal.aborted) cancelWithParent();
    else signal.addEventListener('abort', cancelWithParent, { once: true });
    return {
      cancel,
      ended: () => durably(async () => {
        let failure: unknown;
        try {
          const result = await untilAborted(handle.getResult(), signal);
          if (ENDED_STATUSES.includes(result.status)) return result;
        } catch (error) {
          // A cancelled child's result is an error; its record says how it ended. This run's own
          // cancellation (or its node's end) is not the child's to answer.
          if (signal.aborted || isOwnCancellation(error)) throw error;
          failure = error;
        } finally {
          signal.removeEventListener('abort', cancelWithParent);
        }
        const ended = await this.store.get(child.executionId);
        if (!ended || !ENDED_STATUSES.includes(ended.status)) {
          throw new Error(`child execution ${child.executionId} did not end: ${failure instanceof Error ? failure.message : 'its workflow returned'}`, { cause: failure });
        }
        return ended;
      }),
    };
  }

  private async launch(): Promise<void> {
    const settings = this.settings;
    this.executorId = this.options.executorId ?? settings.workerId ?? (await this.ecsTaskId()) ?? `${hostname()}-${process.pid}`;
    this.unbind = bindExecutionWorkflow((executionId) => this.runExecution(executionId));
    DBOS.setConfig({
      name: DBOS_APPLICATION_NAME,
      systemDatabaseUrl: this.databaseUrl,
      systemDatabasePoolSize: 10,
      applicationVersion: settings.appVersion,
      executorID: this.executorId,
      // `npm run migrate` creates the DBOS schema with a privileged role; workers need no DDL.
      runMigrations: false,
      // Only FireFlow's queue: other applications' queues may share the database.
      listenQueues: [EXECUTION_QUEUE_NAME],
      logLevel: settings.logLevel === 'debug' ? 'debug' : 'warn',
    } as Parameters<typeof DBOS.setConfig>[0]);
    const queueSettings = {
      globalConcurrency: this.options.concurrency ?? settings.queueConcurrency,
      workerConcurrency: this.options.workerConcurrency ?? settings.workerConcurrency,
      minPollingIntervalMs: settings.queuePollMs,
      onConflict: 'always_update',
    } as const;
    // The dispatcher takes an existing queue's limits at launch and refreshes them once a second:
    // write them first, so they hold from the first dequeue on.
    this.client = await DBOSClient.create({ systemDatabaseUrl: this.databaseUrl, applicationName: DBOS_APPLICATION_NAME, systemDatabasePoolSize: 1 });
    await this.client.registerQueue(EXECUTION_QUEUE_NAME, queueSettings);
    await DBOS.launch();
    await DBOS.registerQueue(EXECUTION_QUEUE_NAME, queueSettings);
    // Heartbeats do not wait out outages: the next beat simply tries again.
    this.registry = new WorkerRegistry(this.pool, this.executorId, settings.appVersion);
    await this.registry.beat();
    this.running = true;
    this.timers.push(setInterval(() => void this.heartbeat(), settings.workerHeartbeatMs).unref());
    this.timers.push(setInterval(() => void this.abortCancelled(), CANCEL_CHECK_MS).unref());
    logger.info('worker started', { executorId: this.executorId, queue: EXECUTION_QUEUE_NAME, applicationVersion: settings.appVersion });
  }

  /** Beats, then resumes the pending executions of every dead worker this one claims. */
  private async heartbeat(): Promise<void> {
    const registry = this.registry;
    if (!registry || !this.running) return;
    try {
      await registry.beat();
      for (const deadExecutor of await registry.claimDead(this.settings.workerDeadAfterMs)) {
        const pending = await DBOS.listWorkflows({ status: 'PENDING', executorId: deadExecutor, loadInput: false, loadOutput: false });
        const ids = pending.map((workflow) => workflow.workflowID);
        if (ids.length > 0) await DBOS.resumeWorkflows(ids, { queueName: EXECUTION_QUEUE_NAME });
        await registry.forget(deadExecutor);
        logger.info('resumed the executions of a dead worker', { deadExecutor, resumed: ids.length });
      }
    } catch (error) {
      logger.warn('heartbeat failed', { error });
    }
  }

  /** Aborts the engine of executions whose workflow was cancelled. */
  private async abortCancelled(): Promise<void> {
    const ids = [...this.runningWorkflows.keys()];
    if (ids.length === 0 || !this.running) return;
    try {
      const cancelled = await DBOS.listWorkflows({ workflowIDs: ids, status: 'CANCELLED', loadInput: false, loadOutput: false });
      for (const workflow of cancelled) this.runningWorkflows.get(workflow.workflowID)?.abort('cancelled');
    } catch (error) {
      logger.warn('checking for cancelled executions failed', { error });
    }
  }

  /** The ECS task ID from the task metadata endpoint, when running on ECS. */
  private async ecsTaskId(): Promise<string | undefined> {
    const endpoint = this.settings.ecsMetadataUri;
    if (!endpoint) return undefined;
    try {
      const task = (await (await fetch(`${endpoint}/task`, { signal: AbortSignal.timeout(2_000) })).json()) as { TaskARN?: string };
      return task.TaskARN?.split('/').at(-1);
    } catch (error) {
      logger.warn('could not read the ECS task ID', { error });
      return undefined;
    }
  }

  private ownPool(): Pool {
    this.owned.pool = createPool({ connectionString: this.databaseUrl, max: this.settings.dbPoolMax, databaseSecretArn: this.settings.databaseSecretArn });
    return this.owned.pool;
  }

  /** The ExecutionService with every built-in node, on this worker's connections. */
  private defaultService(store: IExecutionStore): ExecutionService {
    const settings = this.settings;
    // Lock statements are not retried through outages: a retried acquire could grant twice.
    this.owned.locks = new PostgresFlowLockService({ pool: this.pool, listenConnectionString: requireDatabaseUrl(settings.lockListenUrl ?? this.databaseUrl) });
    this.owned.expressions = new ExpressionPool({ maxMemoryMb: settings.expressionMaxMemoryMb });
    this.owned.expressions.start();
    const lambdaEndpoint = settings.lambdaEndpoint;
    return new ExecutionService({
      flows: new FlowCatalog(new PostgresFlowStore(retryingTransientErrors(this.pool, settings.workerDbRetryMs))),
      store,
      flowLock: this.owned.locks,
      lambda: () => import('@aws-sdk/client-lambda').then(({ LambdaClient }) => new LambdaClient(lambdaEndpoint ? { endpoint: lambdaEndpoint } : {})),
      flowTimeoutMs: settings.executionTimeoutMs,
      limits: settings.flowLimits,
      http: guardedHttpClient(settings.httpAllowedNetworks),
      secret: settings.flowSecretsFrom === 'secrets-manager' ? secretsManagerSecrets(settings.stage) : environmentSecrets(settings.flowSecretValues),
      // The queue admits WORKER_CONCURRENCY executions; children start outside it, so the same
      // limit on work holds them all.
      workSlots: this.options.workerConcurrency ?? settings.workerConcurrency,
      expressions: this.owned.expressions,
    });
  }
}

/**
 * What nodes completed with in one run of an execution, from its DBOS workflow's steps: each
 * node's last successful attempt, over the outputs that run itself started from (a redrive's seeds).
 */
async function recordedOutputs(executionId: string, run: number): Promise<Record<string, NodeOutputs>> {
  const outputs: Record<string, NodeOutputs> = {};
  for (const step of (await DBOS.listWorkflowSteps(workflowIdOf({ executionId, redriveCount: run }))) ?? []) {
    const output = step.output as { ok?: unknown; outputs?: NodeOutputs; settled?: RedriveStart['settled'] } | null;
    if (step.name === REDRIVE_START_STEP && output?.settled) {
      for (const [nodeId, settled] of Object.entries(output.settled)) if ('outputs' in settled) outputs[nodeId] = settled.outputs;
    } else if (output?.ok === true && output.outputs) outputs[step.name] = output.outputs;
  }
  return outputs;
}
