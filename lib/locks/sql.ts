/** The notification channel a release signals on; the payload is the lock key. */
export const RELEASE_CHANNEL = 'fireflow_lock_released';

/** The database clock in whole microseconds: the first fencing token of a new row. */
const CLOCK_MICROS = `(extract(epoch FROM statement_timestamp()) * 1000000)::bigint`;

/**
 * Every statement of the lock service, each in one place. Time comes from the database clock,
 * never the caller's: statement_timestamp() is one instant for the whole statement. The hot path
 * is one statement to acquire and one to release; the extra statements run only when a key is
 * contended. Plain parameterised statements only: named prepared statements would pin an RDS
 * Proxy session.
 */
export const lockSql = {
  /**
   * Takes $1 for lockId $2 for $3 ms if it is free or its lease has ended; answers the new
   * fencing token, or no row when the key is held.
   */
  acquire: `
    INSERT INTO fireflow_locks AS l (lock_key, lock_id, fencing_token, acquired_at, expires_at)
    VALUES ($1, $2, ${CLOCK_MICROS}, statement_timestamp(), statement_timestamp() + $3::integer * interval '1 millisecond')
    ON CONFLICT (lock_key) DO UPDATE SET
      lock_id = excluded.lock_id,
      fencing_token = l.fencing_token + 1,
      acquired_at = excluded.acquired_at,
      expires_at = excluded.expires_at
    WHERE l.expires_at <= statement_timestamp()
    RETURNING fencing_token`,

  /**
   * After a refused acquire: marks $1 contended, so its releases notify waiters, and answers
   * how many ms the current lease still runs (no row if the key has vanished meanwhile). Only
   * the first waiter of a key writes; the rest only read, so a herd of woken waiters does not
   * queue on the row's lock.
   */
  markContended: `
    WITH marked AS (
      UPDATE fireflow_locks SET contended = true WHERE lock_key = $1 AND NOT contended RETURNING expires_at
    )
    SELECT (extract(epoch FROM coalesce((SELECT expires_at FROM marked), l.expires_at) - statement_timestamp()) * 1000)::float8 AS remaining_ms
      FROM fireflow_locks l WHERE l.lock_key = $1`,

  /** Ends the lease of ($1 key, $2 lockId) if it still runs; one row, saying whether anyone waits, when it did. */
  release: `
    UPDATE fireflow_locks SET expires_at = statement_timestamp()
     WHERE lock_key = $1 AND lock_id = $2 AND expires_at > statement_timestamp()
    RETURNING contended`,

  /** Wakes the waiters of key $1 (run after a release of a contended key). */
  notifyReleased: `SELECT pg_notify('${RELEASE_CHANNEL}', $1)`,

  /** Restarts the lease of ($1 key, $2 lockId) with $3 ms from now, if it still runs. */
  extend: `
    UPDATE fireflow_locks SET expires_at = statement_timestamp() + $3::integer * interval '1 millisecond'
     WHERE lock_key = $1 AND lock_id = $2 AND expires_at > statement_timestamp()`,

  /** The running lease of $1, if any. */
  inspect: `
    SELECT expires_at, fencing_token FROM fireflow_locks
     WHERE lock_key = $1 AND expires_at > statement_timestamp()`,

  /**
   * Deletes up to $2 rows whose lease ended more than $1 ms ago. A key locked again later
   * starts from the clock, above every token it had, as long as the database clock does not
   * step back by more than the grace period (tokens rise by one per grant, far slower than the
   * clock's microseconds).
   */
  sweep: `
    DELETE FROM fireflow_locks WHERE lock_key IN (
      SELECT lock_key FROM fireflow_locks
       WHERE expires_at < statement_timestamp() - $1::integer * interval '1 millisecond'
       LIMIT $2 FOR UPDATE SKIP LOCKED)`,
} as const;
