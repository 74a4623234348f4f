import { config } from '../config.js';
import { requireDatabaseUrl, sharedPool } from '../db.js';
import { NotFoundError } from '../errors.js';
import { PostgresFlowStore } from '../flows/PostgresFlowStore.js';
import { ExecutionQueue } from '../worker/ExecutionQueue.js';
import { ExecutionService } from './ExecutionService.js';
import { PostgresExecutionStore } from './PostgresExecutionStore.js';
import { ENDED_STATUSES, type ExecutionEvent, type ExecutionPage, type ExecutionRecord } from './types.js';

/** What starting answers: the record's essentials, with the output or error when it ended in time. */
export interface StartAnswer {
  executionId: string;
  status: ExecutionRecord['status'];
  output?: unknown;
  error?: ExecutionRecord['error'];
}

export interface StartCommand {
  flowId: string;
  input?: unknown;
  idempotencyKey?: string;
  waitMs: number;
}

export interface EventsPage {
  events: ExecutionEvent[];
  /** The index to pass as `after` next time. */
  nextAfter: number;
  /** True once the execution has ended and every event was returned. */
  done: boolean;
}

/**
 * How long a waiting call sleeps before it reads again, `waitedMs` into its wait: a tenth of the
 * time waited so far, between 50 ms and 1 s. A short execution is seen ending within 50 ms; a
 * Step Functions–style call waiting ten minutes reads about 700 times, not 12 000.
 */
export const pollDelayMs = (waitedMs: number): number => Math.min(1_000, Math.max(50, Math.round(waitedMs / 10)));

/** Sleeps the poll delay, never past `deadline` (epoch ms). */
const pollPause = (startedAt: number, deadline: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(pollDelayMs(Date.now() - startedAt), Math.max(1, deadline - Date.now()))));
const EVENTS_PAGE = 1_000;

/**
 * What the Lambdas do with executions: create and enqueue them for the workers (never run them),
 * wait for their end, read and cancel them.
 */
export class ExecutionApi {
  constructor(
    readonly service: ExecutionService,
    readonly flows: PostgresFlowStore,
    private readonly store: PostgresExecutionStore,
    private readonly queue: ExecutionQueue,
  ) {}

  listByFlow(flowId: string, page: { limit: number; cursor?: string }): Promise<ExecutionPage> {
    return this.store.listByFlow(flowId, page);
  }

  /** Events after index `after`; with `waitMs`, waits for the first new one (long poll). */
  async events(executionId: string, after: number, waitMs: number): Promise<EventsPage> {
    const startedAt = Date.now();
    const deadline = startedAt + waitMs;
    for (;;) {
      const execution = await this.get(executionId);
      const ended = ENDED_STATUSES.includes(execution.status);
      const events = await this.store.listEvents(executionId, after, EVENTS_PAGE);
      if (events.length > 0 || ended || Date.now() >= deadline) {
        return { events, nextAfter: events.at(-1)?.index ?? after, done: ended && events.length < EVENTS_PAGE };
      }
      await pollPause(startedAt, deadline);
    }
  }

  async start(command: StartCommand): Promise<{ execution: ExecutionRecord; created: boolean }> {
    const started = await this.service.start(command.flowId, {
      input: command.input ?? null,
      ...(command.idempotencyKey === undefined ? {} : { idempotencyKey: command.idempotencyKey }),
    });
    // Enqueuing again is harmless (the workflow ID is the execution ID), so a retried request
    // that finds its execution still `created` makes sure it is queued.
    if (started.execution.status === 'created') await this.queue.enqueue(started.execution.executionId);
    const execution = command.waitMs > 0 ? await this.waitForEnd(started.execution.executionId, command.waitMs) : started.execution;
    return { execution, created: started.created };
  }

  async get(executionId: string): Promise<ExecutionRecord> {
    const execution = await this.store.get(executionId);
    if (!execution) throw new NotFoundError(`execution ${executionId} does not exist`);
    return execution;
  }

  /**
   * Cancels the workflow, then ends the record `stopped` at once, as Step Functions does: no
   * worker starts the execution after that, and one running it stops at its next step or within
   * about a second, writing nothing over the record (a step may also find the cancelled workflow
   * no longer its own, and then this is the only end written). An ended execution is answered
   * unchanged.
   */
  async cancel(executionId: string, reason = 'cancelled'): Promise<ExecutionRecord> {
    const execution = await this.get(executionId);
    if (ENDED_STATUSES.includes(execution.status)) return execution;
    await this.queue.cancel(executionId);
    return this.store.markEnded(executionId, { status: 'stopped', reason });
  }

  /** The record once it has ended, or as it stands when `waitMs` has passed. */
  async waitForEnd(executionId: string, waitMs: number): Promise<ExecutionRecord> {
    const startedAt = Date.now();
    const deadline = startedAt + waitMs;
    for (;;) {
      const execution = await this.get(executionId);
      if (ENDED_STATUSES.includes(execution.status) || Date.now() >= deadline) return execution;
      await pollPause(startedAt, deadline);
    }
  }
}

export function startAnswer(execution: ExecutionRecord): StartAnswer {
  const ended = ENDED_STATUSES.includes(execution.status);
  return {
    executionId: execution.executionId,
    status: execution.status,
    ...(ended ? { output: execution.output, error: execution.error } : {}),
  };
}

let shared: Promise<ExecutionApi> | undefined;

/** The API of this warm Lambda: the process pool (1 connection) and a DBOSClient (1 connection). */
export function sharedExecutionApi(): Promise<ExecutionApi> {
  shared ??= (async () => {
    const pool = sharedPool();
    const store = new PostgresExecutionStore(pool);
    const flows = new PostgresFlowStore(pool);
    const service = new ExecutionService({ flows, store });
    const queue = await ExecutionQueue.create(requireDatabaseUrl(config().databaseUrl), 1);
    return new ExecutionApi(service, flows, store, queue);
  })().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}
