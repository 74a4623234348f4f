import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { FlowCatalog } from '../../flows/FlowCatalog.js';
import type { FlowSummary, StoredFlow } from '../../flows/PostgresFlowStore.js';
import { ENDED_STATUSES, STOPPED_RUN_GRACE_MS, type ExecutionEvent, type ExecutionPage, type ExecutionRecord, type IExecutionStore } from '../types.js';
import type { ExecutionQueue } from './ExecutionQueue.js';

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
  /** How long to wait for the execution's end; 0 answers at once. */
  waitMs: number;
}

export interface EventsPage {
  events: ExecutionEvent[];
  /** The index to pass as `after` next time. */
  nextAfter: number;
  /** True once the execution has ended and every event, the terminal one included, was returned. */
  done: boolean;
}

/**
 * How long a waiting call sleeps before it reads again, `waitedMs` into its wait: a tenth of the
 * time waited so far, between 50 ms and 1 s. A short execution is seen ending within 50 ms; a
 * call waiting ten minutes reads hundreds of times, not thousands.
 */
export const pollDelayMs = (waitedMs: number): number => Math.min(1_000, Math.max(50, Math.round(waitedMs / 10)));

/** An events page holds at most this many events, and at most EVENTS_PAGE_BYTES of them as JSON (at least one). */
const EVENTS_PAGE = 1_000;
const EVENTS_PAGE_BYTES = 1024 * 1024;

/** The longest prefix of `events` within EVENTS_PAGE_BYTES, and whether that cut any off. */
function withinPageBytes(events: ExecutionEvent[]): { kept: ExecutionEvent[]; cut: boolean } {
  let bytes = 0;
  for (const [index, event] of events.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(event));
    if (bytes > EVENTS_PAGE_BYTES && index > 0) return { kept: events.slice(0, index), cut: true };
  }
  return { kept: events, cut: false };
}
/** How many times one execution may be redriven. */
export const MAX_REDRIVES = 1_000;

export const isEnded = (execution: ExecutionRecord): boolean => ENDED_STATUSES.includes(execution.status);

/**
 * The control side of executions, for Lambdas, the client and the console: saves flows, creates
 * executions and enqueues them for the workers (never runs them), waits for their end, reads them
 * and their events, cancels them.
 */
export class ExecutionControl {
  constructor(
    private readonly flows: FlowCatalog,
    private readonly store: IExecutionStore,
    private readonly queue: ExecutionQueue,
  ) {}

  saveFlow(flowId: string, definition: unknown): Promise<{ flowId: string; version: number }> {
    return this.flows.save(flowId, definition);
  }

  /** The newest version, or the one named. */
  getFlow(flowId: string, version?: number): Promise<StoredFlow> {
    return this.flows.get(flowId, version);
  }

  listFlows(): Promise<FlowSummary[]> {
    return this.flows.list();
  }

  /**
   * Creates an execution of the flow's newest version (or finds the one with this idempotency
   * key), enqueues it, and waits up to `waitMs` for its end. `created` says whether it is new.
   */
  async start(command: StartCommand): Promise<{ execution: ExecutionRecord; created: boolean }> {
    const started = await this.store.create({
      executionId: randomUUID(),
      flowId: command.flowId,
      input: command.input ?? null,
      ...(command.idempotencyKey === undefined ? {} : { idempotencyKey: command.idempotencyKey }),
    });
    // Enqueuing again is harmless (the workflow ID is the execution ID), so a retried request
    // that finds its execution still `created` makes sure it is queued.
    if (started.execution.status === 'created') await this.queue.enqueue(started.execution);
    const execution = command.waitMs > 0 ? await this.waitForEnd(started.execution.executionId, command.waitMs) : started.execution;
    return { execution, created: started.created };
  }

  async get(executionId: string): Promise<ExecutionRecord> {
    const execution = await this.store.get(executionId);
    if (!execution) throw new NotFoundError(`execution ${executionId} does not exist`);
    return execution;
  }

  listByFlow(flowId: string, page: { limit: number; cursor?: string }): Promise<ExecutionPage> {
    return this.store.listByFlow(flowId, page);
  }

  /** The execution's children (SubflowNode, ForEachNode) in the order they started, item order for a ForEachNode. */
  async children(executionId: string, page: { nodeId?: string; limit: number; cursor?: string }): Promise<ExecutionPage> {
    await this.get(executionId);
    return this.store.listChildren(executionId, page);
  }

  /** Events after index `after`; with `waitMs`, waits for the first new one (long poll). */
  async events(executionId: string, after: number, waitMs: number): Promise<EventsPage> {
    const startedAt = Date.now();
    const deadline = startedAt + waitMs;
    for (;;) {
      const execution = await this.get(executionId);
      // Read before the events: a history closed by then has all its events written (the last
      // ones and the closing commit together), so a page short of full holds its terminal event.
      const closed = isEnded(execution) && (await this.store.historyClosed(executionId));
      const { kept: events, cut } = withinPageBytes(await this.store.listEvents(executionId, after, EVENTS_PAGE));
      const last = events.at(-1);
      const done = closed && !cut && events.length < EVENTS_PAGE;
      const closedNow = !done && events.length === 0 && execution.status === 'stopped' && (await this.store.closeStopped(executionId, STOPPED_RUN_GRACE_MS));
      if (closedNow) continue;
      if (events.length > 0 || done || Date.now() >= deadline) return { events, nextAfter: last?.index ?? after, done };
      await pause(startedAt, deadline);
    }
  }

  /**
   * Cancels the workflow, then ends the record `stopped` at once, as Step Functions does: no
   * worker starts the execution after that, and one running it stops at its next step or within
   * about a second and writes the `flow:cancelled` event. An ended execution is answered unchanged.
   */
  async cancel(executionId: string, reason = 'cancelled'): Promise<ExecutionRecord> {
    const execution = await this.get(executionId);
    if (isEnded(execution)) return execution;
    await this.queue.cancel(execution);
    return this.store.cancel(executionId, reason);
  }

  /**
   * Runs a failed or stopped root execution again from where it ended, under the same id: nodes
   * that completed keep their outputs and do not run again. Waits up to `waitMs` for its end.
   * ConflictError for any other status, for a child (redrive its root), past MAX_REDRIVES, and
   * for the loser of two redrives at once.
   */
  async redrive(executionId: string, waitMs: number): Promise<ExecutionRecord> {
    const execution = await this.get(executionId);
    if (execution.parentExecutionId !== null) {
      throw new ConflictError(`execution ${executionId} is a child execution: redrive its root, ${execution.rootExecutionId}`);
    }
    if (execution.status === 'running' && execution.redriveCount > 0) {
      // A redrive whose caller died before it queued the run: queuing it again is harmless.
      await this.queue.enqueue(execution);
    }
    if (execution.status !== 'failed' && execution.status !== 'stopped') {
      throw new ConflictError(`execution ${executionId} is ${execution.status}: only a failed or stopped execution can be redriven`);
    }
    if (execution.redriveCount >= MAX_REDRIVES) throw new ConflictError(`execution ${executionId} was redriven ${MAX_REDRIVES} times already`);
    const redriven = await this.store.redrive(executionId, execution.redriveCount);
    if (!redriven) throw new ConflictError(`execution ${executionId} changed meanwhile (another redrive, or it is still stopping): read it and try again`);
    await this.queue.enqueue(redriven);
    return waitMs > 0 ? this.waitForEnd(executionId, waitMs) : redriven;
  }

  /**
   * Sends the signal `name` to an execution that has not ended: a WaitForSignalNode waiting for
   * that name takes it, or the first one to wait for it later (first in, first out). The same
   * `signalId` is delivered once. ConflictError for an execution that has ended (nothing is kept).
   */
  async sendSignal(executionId: string, name: string, signal: { payload?: unknown; signalId?: string }): Promise<{ accepted: true }> {
    const execution = await this.get(executionId);
    if (isEnded(execution)) throw new ConflictError(`execution ${executionId} is ${execution.status}: it takes no more signals`);
    // A signal may beat the start or redrive it follows to the queue; queuing a root execution's
    // run again is harmless (a child's run is started by its parent).
    const mayBeUnqueued = execution.status === 'created' || execution.redriveCount > 0;
    if (mayBeUnqueued && execution.parentExecutionId === null) await this.queue.enqueue(execution);
    await this.queue.signal(execution, name, { payload: signal.payload ?? null, receivedAt: new Date().toISOString() }, signal.signalId);
    return { accepted: true };
  }

  /** The record once it has ended, or as it stands when `waitMs` has passed. */
  async waitForEnd(executionId: string, waitMs: number): Promise<ExecutionRecord> {
    const startedAt = Date.now();
    const deadline = startedAt + waitMs;
    for (;;) {
      const execution = await this.get(executionId);
      if (isEnded(execution) || Date.now() >= deadline) return execution;
      await pause(startedAt, deadline);
    }
  }
}

/** Sleeps the poll delay, never past `deadline` (epoch ms). */
const pause = (startedAt: number, deadline: number) => sleep(Math.min(pollDelayMs(Date.now() - startedAt), Math.max(1, deadline - Date.now())));

export function startAnswer(execution: ExecutionRecord): StartAnswer {
  return {
    executionId: execution.executionId,
    status: execution.status,
    ...(isEnded(execution) ? { output: execution.output, error: execution.error } : {}),
  };
}
