import type { Queryable } from '../db.js';

const workerSql = {
  beat: `
    INSERT INTO fireflow_workers (executor_id, application_version) VALUES ($1, $2)
    ON CONFLICT (executor_id) DO UPDATE
      SET heartbeat_at = clock_timestamp(), application_version = excluded.application_version, claimed_by = NULL, claimed_at = NULL`,
  /** Claims dead workers of this release ($3 ms silent), skipping rows another survivor holds. */
  claimDead: `
    UPDATE fireflow_workers SET claimed_by = $1, claimed_at = clock_timestamp()
     WHERE executor_id IN (
       SELECT executor_id FROM fireflow_workers
        WHERE executor_id <> $1 AND application_version = $2
          AND heartbeat_at < clock_timestamp() - $3::integer * interval '1 millisecond'
          AND (claimed_at IS NULL OR claimed_at < clock_timestamp() - $3::integer * interval '1 millisecond')
        FOR UPDATE SKIP LOCKED)
    RETURNING executor_id`,
  forget: `DELETE FROM fireflow_workers WHERE executor_id = $1 AND claimed_by = $2`,
  /** A stopping worker makes itself look dead at once, so survivors resume what it hands back. */
  markStopped: `UPDATE fireflow_workers SET heartbeat_at = '-infinity' WHERE executor_id = $1`,
} as const;

/** Worker heartbeats in PostgreSQL, and the claim that makes one survivor recover a dead worker. */
export class WorkerRegistry {
  constructor(
    private readonly pool: Queryable,
    private readonly executorId: string,
    private readonly applicationVersion: string,
  ) {}

  async beat(): Promise<void> {
    await this.pool.query(workerSql.beat, [this.executorId, this.applicationVersion]);
  }

  /** Dead workers this one now owns the recovery of. */
  async claimDead(deadAfterMs: number): Promise<string[]> {
    const result = await this.pool.query<{ executor_id: string }>(workerSql.claimDead, [this.executorId, this.applicationVersion, deadAfterMs]);
    return result.rows.map((row) => row.executor_id);
  }

  /** Drops a dead worker whose executions were resumed. */
  async forget(executorId: string): Promise<void> {
    await this.pool.query(workerSql.forget, [executorId, this.executorId]);
  }

  async markStopped(): Promise<void> {
    await this.pool.query(workerSql.markStopped, [this.executorId]);
  }
}
