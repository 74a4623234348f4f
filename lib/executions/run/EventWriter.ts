import type { EngineEvent } from '../../engine/types.js';
import type { EventBatch, ExecutionEvent, ExecutionRun, IExecutionStore } from '../types.js';

/**
 * How long events wait to be written with the ones that follow (a short flow writes them all with
 * its end). Readers see an event this much later at most; a shorter window costs more statements
 * under load (`npm run bench -- executions` shows the throughput).
 */
const EVENT_BATCH_MS = 100;

/**
 * Writes the events of every run in this process together: one statement for all the runs that
 * emitted events in the last EVENT_BATCH_MS, one batch after another, so that a busy worker spends
 * one statement per window rather than one per execution. If such a statement fails, each run's
 * events are written again on their own, so that one run's bad event fails only that run.
 */
export class EventBatcher {
  private readonly waiting = new Set<EventWriter>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly store: IExecutionStore) {}

  /** A writer for one run; `nextIndex`: where its events start (after `execution:created`, or after a redrive's history). */
  writer(run: ExecutionRun, nextIndex = 1): EventWriter {
    return new EventWriter(this, run, nextIndex);
  }

  /** Takes `writer`'s queued events with the next batch, at most EVENT_BATCH_MS from now. */
  enqueue(writer: EventWriter): void {
    this.waiting.add(writer);
    this.timer ??= setTimeout(() => this.flush(), EVENT_BATCH_MS);
  }

  /** Leaves `writer`'s queued events out of the batches. */
  withdraw(writer: EventWriter): void {
    this.waiting.delete(writer);
  }

  private flush(): void {
    this.timer = undefined;
    const writers = [...this.waiting];
    this.waiting.clear();
    const batches = writers.map((writer) => ({ writer, batch: writer.takeQueued() })).filter(({ batch }) => batch.events.length > 0);
    if (batches.length === 0) return;
    this.writing = this.writing.then(() => this.write(batches));
    for (const { writer } of batches) writer.handedOver(this.writing);
  }

  private async write(batches: Array<{ writer: EventWriter; batch: EventBatch }>): Promise<void> {
    try {
      await this.store.appendEvents(batches.map(({ batch }) => batch));
    } catch {
      await Promise.all(
        batches.map(({ writer, batch }) =>
          this.store.appendEvents([batch]).catch((error: unknown) => {
            writer.failed(error);
          }),
        ),
      );
    }
  }
}

/**
 * Numbers one run's events in the order they are emitted and hands them to the EventBatcher, so
 * the engine never waits on the database between nodes. Index 0 is `execution:created`, written
 * with the execution itself, so a first run's events start at 1; a redriven run's go on after its
 * history. Writes are idempotent per index: a replay after a crash numbers its events alike and
 * rewrites nothing.
 */
export class EventWriter {
  private queued: ExecutionEvent[] = [];
  /** The last batch that took events of this run: written (or failed) when it settles. */
  private lastBatch: Promise<void> = Promise.resolve();
  private failure: unknown;
  private stopped = false;

  constructor(
    private readonly batcher: EventBatcher,
    private readonly run: ExecutionRun,
    private nextIndex: number,
  ) {}

  /** Numbers the event now (so order is call order) and queues it for the next batch. */
  emit = (event: EngineEvent): void => {
    if (this.stopped) return;
    this.queued.push({ ...event, index: this.nextIndex++, timestamp: new Date().toISOString() });
    if (this.queued.length === 1) this.batcher.enqueue(this);
  };

  /** Drops every later event: this run no longer owns the execution's history. */
  stop(): void {
    this.stopped = true;
    this.queued = [];
    this.batcher.withdraw(this);
  }

  /**
   * Waits for the batches under way and hands back the events not yet written, for the caller
   * to write with the execution's end in one statement. Rejects if any write of this run's failed.
   */
  async drain(): Promise<ExecutionEvent[]> {
    this.stopped = true;
    this.batcher.withdraw(this);
    await this.lastBatch;
    if (this.failure !== undefined) throw this.failure;
    const rest = this.queued;
    this.queued = [];
    return rest;
  }

  /** The events queued since the last batch, as a batch of their own (called by the batcher). */
  takeQueued(): EventBatch {
    const events = this.queued;
    this.queued = [];
    return { run: this.run, events };
  }

  /** Records the batch that took this run's queued events (called by the batcher). */
  handedOver(batch: Promise<void>): void {
    this.lastBatch = batch;
  }

  /** Records that a batch of this run's failed to be written (called by the batcher). */
  failed(error: unknown): void {
    this.failure ??= error;
  }
}
