import type { EngineEvent } from '../../engine/types.js';
import type { ExecutionEvent, ExecutionRun, IExecutionStore } from '../types.js';

/**
 * How long events wait to be written with the ones that follow (a short flow writes them all with
 * its end). Readers see an event this much later at most; a shorter window costs more statements
 * per execution under load (`npm run bench -- executions` shows the throughput).
 */
const EVENT_BATCH_MS = 100;

/**
 * Numbers an execution's events in the order they are emitted and writes them in that order in
 * the background, in batches at most EVENT_BATCH_MS old, so the engine never waits on the
 * database between nodes. Index 0 is `execution:created`, written with the execution itself,
 * so a first run's events start at 1; a redriven run's go on after its history. Writes are idempotent per index: a replay after a crash
 * numbers its events alike and rewrites nothing.
 */
export class EventWriter {
  private queued: ExecutionEvent[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private stopped = false;

  /** `nextIndex`: where this run's events start (after `execution:created`, or after a redrive's history). */
  constructor(
    private readonly store: IExecutionStore,
    private readonly run: ExecutionRun,
    private nextIndex = 1,
  ) {}

  /** Numbers the event now (so order is call order) and queues it for the next batch. */
  emit = (event: EngineEvent): void => {
    if (this.stopped) return;
    this.queued.push({ ...event, index: this.nextIndex++, timestamp: new Date().toISOString() });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writing.then(() => this.writeQueued()).catch((error: unknown) => {
        this.failure ??= error;
      });
    }, EVENT_BATCH_MS);
  };

  /** Drops every later event: this run no longer owns the execution's history. */
  stop(): void {
    this.stopped = true;
    this.queued = [];
    clearTimeout(this.timer);
  }

  /**
   * Waits for the batches under way and hands back the events not yet written, for the caller
   * to write with the execution's end in one statement. Rejects if any write failed.
   */
  async drain(): Promise<ExecutionEvent[]> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    if (this.failure !== undefined) throw this.failure;
    const rest = this.queued;
    this.queued = [];
    this.stopped = true;
    return rest;
  }

  private async writeQueued(): Promise<void> {
    if (this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    await this.store.appendEvents(this.run, batch);
  }
}
