/** The notification channel a release signals on; the payload is the lock key. */
export const RELEASE_CHANNEL = 'fireflow_lock_released';

/**
 * Every statement of the lock service. Times are always taken from the database clock
 * (clock_timestamp()), never from the caller. Plain parameterised statements only: named
 * prepared statements would pin an RDS Proxy session.
 */
export const lockSql = {
  /**
   * Grants the key when it has no row or its lease has ended ($1 key, $2 lockId, $3 ttl ms).
   * Returns one row: the new fencing token when granted, else how many ms the holder's lease
   * still runs (null if the holder appeared after this statement's snapshot).
   */
  acquire: `
    WITH granted AS (
      INSERT INTO fireflow_locks AS l (lock_key, lock_id, fencing_token, acquired_at, expires_at)
      VALUES ($1, $2, nextval('fireflow_lock_fencing_seq'), clock_timestamp(),
              clock_timestamp() + $3::integer * interval '1 millisecond')
      ON CONFLICT (lock_key) DO UPDATE
        SET lock_id = excluded.lock_id,
            fencing_token = nextval('fireflow_lock_fencing_seq'),
            acquired_at = excluded.acquired_at,
            expires_at = excluded.expires_at
        WHERE l.expires_at <= clock_timestamp()
      RETURNING l.fencing_token
    )
    SELECT (SELECT fencing_token FROM granted) AS fencing_token,
           (SELECT (extract(epoch FROM h.expires_at - clock_timestamp()) * 1000)::float8
              FROM fireflow_locks h
             WHERE h.lock_key = $1 AND NOT EXISTS (SELECT 1 FROM granted)) AS holder_remaining_ms`,

  /** Ends the lease of ($1 key, $2 lockId) if it is still running, and wakes waiters. */
  release: `
    WITH released AS (
      UPDATE fireflow_locks SET expires_at = clock_timestamp()
       WHERE lock_key = $1 AND lock_id = $2 AND expires_at > clock_timestamp()
      RETURNING lock_key
    )
    SELECT pg_notify('${RELEASE_CHANNEL}', lock_key) FROM released`,

  /** Restarts the lease of ($1 key, $2 lockId) with $3 ms from now, if it is still running. */
  extend: `
    UPDATE fireflow_locks SET expires_at = clock_timestamp() + $3::integer * interval '1 millisecond'
     WHERE lock_key = $1 AND lock_id = $2 AND expires_at > clock_timestamp()`,

  /** The running lease of $1, if any. */
  inspect: `
    SELECT expires_at, fencing_token FROM fireflow_locks
     WHERE lock_key = $1 AND expires_at > clock_timestamp()`,

  /**
   * Deletes up to $2 rows whose lease ended more than $1 ms ago. The grace period keeps rows
   * long enough that no acquire still in flight can race a deleted key; fencing tokens come
   * from a sequence, so deleting rows never resets them.
   */
  sweep: `
    DELETE FROM fireflow_locks WHERE lock_key IN (
      SELECT lock_key FROM fireflow_locks
       WHERE expires_at < clock_timestamp() - $1::integer * interval '1 millisecond'
       LIMIT $2 FOR UPDATE SKIP LOCKED)`,
} as const;
