/**
 * At most `size` executions of this process doing work at once (WORKER_CONCURRENCY). Waiting for
 * a slot is first come, first served.
 */
export class WorkSlots {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free += 1;
  }
}

/**
 * One run's hold on a work slot. The run gives its slot up while every node it has started waits
 * (for children, a signal, a sleep or a retry delay), so that its children, or anything else,
 * can work meanwhile: a parent never starves its children, at any depth, under any limit.
 */
export class RunSlot {
  private active = 0;
  private waiting = 0;
  private held = false;
  private retaking: Promise<void> | undefined;

  constructor(private readonly slots: WorkSlots) {}

  async take(): Promise<void> {
    await this.slots.acquire();
    this.held = true;
  }

  nodeStarted(): void {
    this.active += 1;
  }

  nodeEnded(): void {
    this.active -= 1;
    this.giveUpIfAllWait();
  }

  /** Runs a wait without the slot when every started node waits; takes a slot again after it. */
  async whileWaiting<T>(wait: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    this.giveUpIfAllWait();
    try {
      return await wait();
    } finally {
      this.waiting -= 1;
      await this.retake();
    }
  }

  /** At the end of the run. */
  giveUp(): void {
    if (!this.held) return;
    this.held = false;
    this.slots.release();
  }

  private giveUpIfAllWait(): void {
    if (this.active > 0 && this.waiting >= this.active) this.giveUp();
  }

  private async retake(): Promise<void> {
    if (this.held) return;
    this.retaking ??= this.slots.acquire().then(() => {
      this.held = true;
      this.retaking = undefined;
    });
    await this.retaking;
  }
}
