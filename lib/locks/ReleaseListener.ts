import pg from 'pg';
import { connectionSettings } from '../db.js';
import { logger } from '../logger.js';
import { monotonicMs } from '../time.js';
import { LISTEN_SLOT_SQL, RELEASE_CHANNEL } from './sql.js';

/** How long a process whose listener found every slot taken polls before it asks again. */
const SLOTS_TAKEN_RETRY_MS = 5_000;

/** Every listening slot was taken: this process's waiters poll instead. */
class ListenSlotsTaken extends Error {
  constructor() {
    super('every lock listening slot is taken (LOCK_LISTEN_MAX_CONNECTIONS)');
  }
}

export interface ReleaseListenerOptions {
  connectionString: string;
  /** Completes a connection string without a password (Lambdas; see lib/db.ts). */
  databaseSecretArn: string | undefined;
  /** How long the connection stays open once nobody waits; 0 closes it at once. */
  idleMs: number;
  /** Most listening connections across every process on this database (LOCK_LISTEN_MAX_CONNECTIONS). */
  maxConnections: number;
  /** Whether a listening slot looks free, asked through a pooled connection before a connection of its own is opened. */
  slotsFree(maxConnections: number): Promise<boolean>;
}

/**
 * A waiter's place in line for one key. `wait` resolves early when a release of the key is
 * signalled to it; a signal that arrives while the waiter is busy trying is kept for its next
 * `wait`, so no release falls between an attempt and the next wait.
 */
export interface ReleaseSubscription {
  wait(maxMs: number): Promise<void>;
  /** Leaves the line. `passOn` hands an unused signal to the next waiter (true when giving up). */
  close(passOn: boolean): Promise<void>;
}

class Waiter implements ReleaseSubscription {
  signalled = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly key: string,
    private readonly owner: ReleaseListener,
  ) {}

  signal(): void {
    this.signalled = true;
    this.wake?.();
  }

  wait(maxMs: number): Promise<void> {
    this.owner.keepListening();
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.signalled = false;
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      this.wake = done;
    });
  }

  close(passOn: boolean): Promise<void> {
    return this.owner.remove(this, passOn && this.signalled);
  }
}

/**
 * One LISTEN connection shared by every lock waiter of a process. Each release notification
 * wakes the longest-waiting local waiter of that key only (the others would find the lock taken
 * again), in the order they started to wait.
 */
export class ReleaseListener {
  private readonly waiters = new Map<string, Waiter[]>();
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private waiterCount = 0;
  /** Until when no listening slot is asked for again after all were taken (monotonic ms). */
  private slotsTakenUntil = 0;

  constructor(private readonly options: ReleaseListenerOptions) {}

  /** Joins the line for `key`; resolves once releases are being listened for. */
  async subscribe(key: string): Promise<ReleaseSubscription> {
    const waiter = new Waiter(key, this);
    const line = this.waiters.get(key);
    if (line) line.push(waiter);
    else this.waiters.set(key, [waiter]);
    this.waiterCount += 1;
    clearTimeout(this.idleTimer);
    try {
      await this.listen();
    } catch (error) {
      // Waiters still poll, so a listener that cannot connect only slows hand-offs down.
      if (!(error instanceof ListenSlotsTaken)) logger.warn('lock release listener unavailable; waiters fall back to polling', { error });
    }
    return waiter;
  }

  async remove(waiter: Waiter, passSignal: boolean): Promise<void> {
    const line = this.waiters.get(waiter.key);
    const index = line?.indexOf(waiter) ?? -1;
    if (!line || index < 0) return;
    line.splice(index, 1);
    if (line.length === 0) this.waiters.delete(waiter.key);
    else if (passSignal) line[0]?.signal();
    this.waiterCount -= 1;
    if (this.waiterCount > 0) return;
    if (this.options.idleMs === 0) await this.close();
    else this.idleTimer = setTimeout(() => void this.close(), this.options.idleMs).unref();
  }

  /** Closes the connection; waiters that remain (none, normally) fall back to polling. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const { client } = this;
    this.client = undefined;
    // A connection still being made is closed by listen() when it finds itself superseded.
    this.connecting = undefined;
    await client?.end().catch((error: unknown) => logger.warn('closing lock release listener failed', { error }));
  }

  /** Reconnects in the background after a lost connection; waiters poll meanwhile. */
  keepListening(): void {
    if (this.client || this.connecting) return;
    this.listen().catch((error: unknown) => {
      if (!(error instanceof ListenSlotsTaken)) logger.warn('lock release listener unavailable', { error });
    });
  }

  private listen(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    if (monotonicMs() < this.slotsTakenUntil) return Promise.reject(new ListenSlotsTaken());
    const attempt: Promise<pg.Client> = this.connect().then(
      (client) => {
        if (this.connecting !== attempt) {
          void client.end().catch(() => undefined);
          return client;
        }
        this.connecting = undefined;
        this.client = client;
        return client;
      },
      (error: unknown) => {
        if (this.connecting === attempt) this.connecting = undefined;
        throw error;
      },
    );
    this.connecting = attempt;
    return attempt;
  }

  private async connect(): Promise<pg.Client> {
    // Asked first through the pool, so that a burst of waiters does not open a connection each
    // only to find every slot taken; the slot itself is taken on the new connection.
    if (!(await this.options.slotsFree(this.options.maxConnections))) {
      this.slotsTakenUntil = monotonicMs() + SLOTS_TAKEN_RETRY_MS;
      throw new ListenSlotsTaken();
    }
    // Keepalives: a frozen or vanished Lambda's connection, and the slot it holds, go within minutes.
    const client = new pg.Client({ ...connectionSettings(this.options.connectionString, 'fireflow-lock-listener', this.options.databaseSecretArn), keepAlive: true, keepAliveInitialDelayMillis: 30_000 });
    client.on('notification', (message) => {
      if (message.channel === RELEASE_CHANNEL && message.payload !== undefined) this.waiters.get(message.payload)?.[0]?.signal();
    });
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      logger.warn('lock release listener connection lost', { error });
      this.client = undefined;
      void client.end().catch(() => undefined);
      // Everyone retries now and listens again on their next wait.
      for (const line of this.waiters.values()) for (const waiter of line) waiter.signal();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      const { rows } = await client.query<{ slot: number | null }>(LISTEN_SLOT_SQL, [this.options.maxConnections]);
      if (rows[0]?.slot === null || rows[0]?.slot === undefined) {
        this.slotsTakenUntil = monotonicMs() + SLOTS_TAKEN_RETRY_MS;
        throw new ListenSlotsTaken();
      }
      await client.query(`LISTEN ${RELEASE_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }
}
