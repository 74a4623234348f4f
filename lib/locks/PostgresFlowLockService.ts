import { randomUUID } from 'node:crypto';
import { config } from '../config.js';
import { requireDatabaseUrl, type Queryable } from '../db.js';
import { monotonicMs } from '../time.js';
import { parseFields } from '../validation.js';
import { ReleaseListener } from './ReleaseListener.js';
import {
  acquireRequestFields,
  extendRequestFields,
  inspectRequestFields,
  LOCK_WAIT_MAX_MS,
  releaseRequestFields,
} from './schemas.js';
import { LISTEN_SLOTS_HELD_SQL, lockSql } from './sql.js';
import type { AcquireResult, ExtendResult, IFlowLockService, LockState, ReleaseResult } from './types.js';

export interface PostgresFlowLockServiceOptions {
  pool: Queryable;
  /** Where waiters LISTEN for releases. Default: LOCK_LISTEN_URL, else DATABASE_URL. */
  listenConnectionString?: string;
  /** Longest sleep between attempts when no release is signalled. Default: LOCK_POLL_INTERVAL_MS. */
  pollIntervalMs?: number;
  /** How long the LISTEN connection outlives its last waiter. Default: LOCK_LISTENER_IDLE_MS. */
  listenerIdleMs?: number;
  /** Most listening connections across every process on the database. Default: LOCK_LISTEN_MAX_CONNECTIONS. */
  maxListenConnections?: number;
  /** Completes a listen connection string without a password. Default: DATABASE_SECRET_ARN. */
  databaseSecretArn?: string;
  /** How long `sweep` keeps a row whose lease ended. Default: LOCK_SWEEP_GRACE_MS. */
  sweepGraceMs?: number;
  /** Longest wait `acquire` accepts. Default 900 000 (Lambda's limit). */
  maxWaitTimeoutMs?: number;
}

/** One attempt's outcome: the grant's token, or how long the current lease still runs. */
type Attempt = { granted: true; fencingToken: number } | { granted: false; remainingMs: number };

interface InspectRow {
  expires_at: Date;
  fencing_token: string;
}

const NOT_ACQUIRED: AcquireResult = Object.freeze({ acquired: false, lockId: '' });

/**
 * Named locks with a TTL in the `fireflow_locks` table. A waiter tries, then sleeps until a
 * release of its key is signalled (LISTEN/NOTIFY), the holder's lease ends, or the poll interval
 * passes, whichever comes first, and tries again until its wait runs out.
 */
export class PostgresFlowLockService implements IFlowLockService {
  private readonly pool: Queryable;
  private readonly pollIntervalMs: number;
  private readonly sweepGraceMs: number;
  private readonly listener: ReleaseListener;
  private readonly acquireFields: ReturnType<typeof acquireRequestFields>;

  constructor(options: PostgresFlowLockServiceOptions) {
    const settings = config();
    this.pool = options.pool;
    this.pollIntervalMs = options.pollIntervalMs ?? settings.lockPollIntervalMs;
    this.sweepGraceMs = options.sweepGraceMs ?? settings.lockSweepGraceMs;
    this.acquireFields = acquireRequestFields(options.maxWaitTimeoutMs ?? LOCK_WAIT_MAX_MS);
    this.listener = new ReleaseListener({
      connectionString: options.listenConnectionString ?? requireDatabaseUrl(settings.lockListenUrl),
      idleMs: options.listenerIdleMs ?? settings.lockListenerIdleMs,
      databaseSecretArn: options.databaseSecretArn ?? settings.databaseSecretArn,
      maxConnections: options.maxListenConnections ?? settings.lockListenMaxConnections,
      slotsFree: async (max) => ((await this.pool.query<{ held: number }>(LISTEN_SLOTS_HELD_SQL)).rows[0]?.held ?? 0) < max,
    });
  }

  async acquire(lockKey: string, lockTtlMs: number, waitTimeoutMs: number): Promise<AcquireResult> {
    const request = parseFields(this.acquireFields, { lockKey, lockTtlMs, waitTimeoutMs });
    // UUID v4, 122 random bits, from node:crypto: pg loads that module at every cold start anyway,
    // where the Web Crypto global would add its own load to a cold start.
    const lockId = randomUUID();
    const deadline = monotonicMs() + request.waitTimeoutMs;
    const willWait = request.waitTimeoutMs > 0;
    const first = await this.attempt(request.lockKey, lockId, request.lockTtlMs, willWait);
    if (first.granted || !willWait) return grantOf(first, lockId);

    const subscription = await this.listener.subscribe(request.lockKey);
    let acquired = false;
    try {
      for (;;) {
        // Tried again after subscribing: a release just before it would otherwise go unseen.
        const attempt = await this.attempt(request.lockKey, lockId, request.lockTtlMs, true);
        if (attempt.granted) {
          acquired = true;
          return grantOf(attempt, lockId);
        }
        const remainingWaitMs = deadline - monotonicMs();
        if (remainingWaitMs <= 0) return NOT_ACQUIRED;
        await subscription.wait(this.sleepBeforeRetry(attempt.remainingMs, remainingWaitMs));
      }
    } finally {
      await subscription.close(!acquired);
    }
  }

  async release(lockKey: string, lockId: string): Promise<ReleaseResult> {
    const request = parseFields(releaseRequestFields, { lockKey, lockId });
    const result = await this.pool.query<{ released: boolean }>(lockSql.release, [request.lockKey, request.lockId]);
    return { released: result.rows[0]?.released === true };
  }

  async extend(lockKey: string, lockId: string, lockTtlMs: number): Promise<ExtendResult> {
    const request = parseFields(extendRequestFields, { lockKey, lockId, lockTtlMs });
    const result = await this.pool.query(lockSql.extend, [request.lockKey, request.lockId, request.lockTtlMs]);
    return { extended: result.rowCount === 1 };
  }

  async inspect(lockKey: string): Promise<LockState> {
    const request = parseFields(inspectRequestFields, { lockKey });
    const result = await this.pool.query<InspectRow>(lockSql.inspect, [request.lockKey]);
    const row = result.rows[0];
    if (!row) return { held: false };
    return { held: true, expiresAt: row.expires_at.toISOString(), fencingToken: Number(row.fencing_token) };
  }

  /**
   * Deletes rows whose lease ended more than `graceMs` ago, at most `limit` of them; returns
   * how many went. Keeps the table to the keys in recent use; fencing tokens are unaffected.
   */
  async sweep(graceMs: number = this.sweepGraceMs, limit = 1_000): Promise<number> {
    const result = await this.pool.query(lockSql.sweep, [graceMs, limit]);
    return result.rowCount ?? 0;
  }

  /** Closes the LISTEN connection. The pool belongs to the caller. */
  async close(): Promise<void> {
    await this.listener.close();
  }

  /** One try; when refused and `waiting`, marks the key contended and learns how long its lease runs. */
  private async attempt(lockKey: string, lockId: string, lockTtlMs: number, waiting: boolean): Promise<Attempt> {
    const granted = await this.pool.query<{ fencing_token: string | null }>(lockSql.acquire, [lockKey, lockId, lockTtlMs]);
    const token = granted.rows[0]?.fencing_token;
    if (token !== null && token !== undefined) return { granted: true, fencingToken: Number(token) };
    if (!waiting) return { granted: false, remainingMs: 0 };
    const refused = await this.pool.query<{ remaining_ms: number }>(lockSql.markContended, [lockKey]);
    // No row: the holder's row was swept meanwhile, so the key is free; try again at once.
    return { granted: false, remainingMs: refused.rows[0]?.remaining_ms ?? 0 };
  }

  private sleepBeforeRetry(leaseRemainingMs: number, waitRemainingMs: number): number {
    // Wake just after the holder's lease ends: an expired lease sends no notification.
    const untilExpiry = Math.ceil(leaseRemainingMs) + 1;
    return Math.max(1, Math.min(this.pollIntervalMs, untilExpiry, Math.ceil(waitRemainingMs)));
  }
}

function grantOf(attempt: Attempt, lockId: string): AcquireResult {
  return attempt.granted ? { acquired: true, lockId, fencingToken: attempt.fencingToken } : NOT_ACQUIRED;
}
