import { hostname } from 'node:os';
import { DBOS, DBOSClient, Error as DBOSErrors } from '@dbos-inc/dbos-sdk';
import { config } from '../config.js';
import { requireDatabaseUrl, retryingTransientErrors, sharedPool, type Pool } from '../db.js';
import type { StepRunner } from '../engine/types.js';
import { ExecutionService } from '../executions/ExecutionService.js';
import type { ExecutionRecord, IExecutionStore } from '../executions/types.js';
import type { FlowServices } from '../flows/nodes/types.js';
import { PostgresFlowStore } from '../flows/PostgresFlowStore.js';
import { sharedLockService } from '../locks/shared.js';
import { logger } from '../logger.js';
import { abortableSleep, untilAborted } from '../time.js';
import { DBOS_APPLICATION_NAME, EXECUTION_QUEUE_NAME, EXECUTION_WORKFLOW_NAME } from './names.js';
import { WorkerRegistry } from './WorkerRegistry.js';

export interface DBOSExecutionWorkerOptions {
  /** Global limit of executions running at once across every worker. Default QUEUE_CONCURRENCY. */
  concurrency?: number;
  /** Limit of executions running at once in this process. Default WORKER_CONCURRENCY. */
  workerConcurrency?: number;
  /** DBOS executor ID. Default WORKER_ID, else the ECS task ID, else host-pid. */
  executorId?: string;
  databaseUrl?: string;
  /** The pool of the worker's own statements. Default: the process's pool, retrying through outages. */
  pool?: Pool;
}

/** What the workflow answers: enough to see how it ended without loading the record. */
interface WorkflowResult {
  executionId: string;
  status: ExecutionRecord['status'];
}

/** The one worker of this process: DBOS is process-wide, so is the workflow it runs. */
let activeWorker: DBOSExecutionWorker | undefined;
let executeFireFlow: ((executionId: string) => Promise<WorkflowResult>) | undefined;

function registerWorkflow(): (executionId: string) => Promise<WorkflowResult> {
  executeFireFlow ??= DBOS.registerWorkflow(
    async (executionId: string): Promise<WorkflowResult> => {
      if (!activeWorker) throw new Error('executeFireFlow ran without a started DBOSExecutionWorker');
      return activeWorker.runExecution(executionId);
    },
    { name: EXECUTION_WORKFLOW_NAME },
  );
  return executeFireFlow;
}

/** The ECS task ID from the task metadata endpoint, when running on ECS. */
async function ecsTaskId(): Promise<string | undefined> {
  const endpoint = process.env.ECS_CONTAINER_METADATA_URI_V4;
  if (!endpoint) return undefined;
  try {
    const task = (await (await fetch(`${endpoint}/task`, { signal: AbortSignal.timeout(2_000) })).json()) as { TaskARN?: string };
    return task.TaskARN?.split('/').at(-1);
  } catch (error) {
    logger.warn('could not read the ECS task ID', { error });
    return undefined;
  }
}

const isCancellation = (error: unknown) => error instanceof DBOSErrors.DBOSWorkflowCancelledError;
/** DBOS gave the workflow to another run of it (recovery): this run must step aside. */
const isOwnershipLost = (error: unknown) => error instanceof DBOSErrors.DBOSWorkflowConflictError;

/**
 * Hosts DBOS in a long-running process: dequeues executions from the PostgreSQL-backed queue
 * and runs each as the durable workflow `executeFireFlow`, every node a checkpointed step.
 * Beats in `fireflow_workers`, resumes the executions of workers of its release that stopped
 * beating, and hands its own back when it stops.
 */
export class DBOSExecutionWorker {
  private readonly service: ExecutionService;
  private readonly pool: Pool;
  private readonly databaseUrl: string;
  private starting: Promise<void> | undefined;
  private running = false;
  private timers: NodeJS.Timeout[] = [];
  private registry: WorkerRegistry | undefined;
  private executorId: string | undefined;

  constructor(
    private readonly store: IExecutionStore,
    executionService: ExecutionService | null,
    private readonly options: DBOSExecutionWorkerOptions = {},
  ) {
    this.databaseUrl = requireDatabaseUrl(options.databaseUrl ?? config().databaseUrl);
    this.pool = options.pool ?? retryingTransientErrors(sharedPool(), config().workerDbRetryMs);
    this.service =
      executionService ??
      new ExecutionService({ flows: new PostgresFlowStore(this.pool), store, flowLock: sharedLockService(), flowTimeoutMs: config().executionTimeoutMs });
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
   * back what remains (survivors resume it at once) and closes DBOS's connections. The process
   * should exit afterwards: executions still running here are resumed elsewhere.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await DBOS.shutdown({ workflowCompletionTimeoutMS: config().workerStopTimeoutMs });
    await this.registry?.markStopped();
    activeWorker = undefined;
    logger.info('worker stopped', { executorId: this.executorId });
  }

  /** The body of `executeFireFlow`. */
  async runExecution(executionId: string): Promise<WorkflowResult> {
    /** DBOS work of this execution; if its workflow was cancelled meanwhile, the engine stops (the execution ends `stopped`, not `failed`). */
    const durably = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        if (isCancellation(error)) this.service.abort(executionId, 'cancelled');
        throw error;
      }
    };
    const stepRunner: StepRunner = { run: (nodeId, work) => durably(() => DBOS.runStep(work, { name: nodeId })) };
    // Durable: the wake-up time is checkpointed, and the wait itself gives way to cancellation.
    const sleep: FlowServices['sleep'] = async (ms, signal) => {
      const wakeAt = await durably(() => DBOS.runStep(async () => Date.now() + ms, { name: 'sleep' }));
      await abortableSleep(Math.max(0, wakeAt - Date.now()), signal);
    };
    const ended = await this.service.run(executionId, {
      stepRunner,
      sleep,
      runChild: (child, signal) => durably(() => this.runChildWorkflow(child, signal)),
      isOwnershipLost,
    });
    return { executionId, status: ended.status };
  }

  private async runChildWorkflow(child: ExecutionRecord, signal: AbortSignal): Promise<ExecutionRecord> {
    const workflow = registerWorkflow();
    const handle = await DBOS.startWorkflow(workflow, { workflowID: child.executionId })(child.executionId);
    const cancelChild = () => void DBOS.cancelWorkflow(child.executionId).catch((error: unknown) => logger.warn('cancelling a child failed', { error }));
    signal.addEventListener('abort', cancelChild, { once: true });
    try {
      await untilAborted(handle.getResult(), signal);
    } finally {
      signal.removeEventListener('abort', cancelChild);
    }
    const ended = await this.store.get(child.executionId);
    if (!ended) throw new Error(`child execution ${child.executionId} vanished`);
    return ended;
  }

  private async launch(): Promise<void> {
    if (activeWorker && activeWorker !== this) throw new Error('a DBOSExecutionWorker already runs in this process');
    const settings = config();
    this.executorId = this.options.executorId ?? settings.workerId ?? (await ecsTaskId()) ?? `${hostname()}-${process.pid}`;
    activeWorker = this;
    registerWorkflow();
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
    const client = await DBOSClient.create({ systemDatabaseUrl: this.databaseUrl, applicationName: DBOS_APPLICATION_NAME, systemDatabasePoolSize: 1 });
    try {
      await client.registerQueue(EXECUTION_QUEUE_NAME, queueSettings);
    } finally {
      await client.destroy();
    }
    await DBOS.launch();
    await DBOS.registerQueue(EXECUTION_QUEUE_NAME, queueSettings);
    // Heartbeats do not wait out outages: the next beat simply tries again.
    this.registry = new WorkerRegistry(this.options.pool ?? sharedPool(), this.executorId, settings.appVersion);
    await this.registry.beat();
    this.running = true;
    this.timers.push(setInterval(() => void this.heartbeat(), settings.workerHeartbeatMs).unref());
    this.timers.push(setInterval(() => void this.abortCancelled(), 500).unref());
    logger.info('worker started', { executorId: this.executorId, queue: EXECUTION_QUEUE_NAME, applicationVersion: settings.appVersion });
  }

  /** Beats, then resumes the pending executions of every dead worker this one claims. */
  private async heartbeat(): Promise<void> {
    const registry = this.registry;
    if (!registry || !this.running) return;
    try {
      await registry.beat();
      for (const deadExecutor of await registry.claimDead(config().workerDeadAfterMs)) {
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

  /** Aborts the engine of executions whose workflow was cancelled (DBOS notices cancels by polling too). */
  private async abortCancelled(): Promise<void> {
    const ids = this.service.runningExecutionIds();
    if (ids.length === 0 || !this.running) return;
    try {
      const cancelled = await DBOS.listWorkflows({ workflowIDs: ids, status: 'CANCELLED', loadInput: false, loadOutput: false });
      for (const workflow of cancelled) this.service.abort(workflow.workflowID, 'cancelled');
    } catch (error) {
      logger.warn('checking for cancelled executions failed', { error });
    }
  }
}
