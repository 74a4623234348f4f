import type { EngineEvent } from '../engine/types.js';
import type { ExecutionEvent, IExecutionStore } from './types.js';

/**
 * Numbers an execution's events in the order they are emitted and writes them in that order,
 * batching what piles up while a write is in flight. Index 0 is `execution:created`, written
 * with the execution itself, so the engine's events start at 1.
 */
export class EventWriter {
  private nextIndex = 1;
  private queued: ExecutionEvent[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: IExecutionStore,
    private readonly executionId: string,
  ) {}

  /** Numbers the event now (so order is call order) and writes it soon; `flush` waits for it. */
  emit = (event: EngineEvent): Promise<void> => {
    this.queued.push({ ...event, index: this.nextIndex++, timestamp: new Date().toISOString() });
    this.writing = this.writing.then(() => this.writeQueued());
    return this.writing;
  };

  flush(): Promise<void> {
    return this.writing;
  }

  private async writeQueued(): Promise<void> {
    if (this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    await this.store.appendEvents(this.executionId, batch);
  }
}
