/** The notification channel a release signals on (fireflow_lock_release sends it); the payload is the lock key. */
/** Takes one of $1 listening slots for this connection (held while it lives); null when all are taken. */
export const LISTEN_SLOT_SQL = 'SELECT fireflow_lock_listen_slot($1) AS slot';
/** How many listening slots are held now (namespace of fireflow_lock_listen_slot). */
export const LISTEN_SLOTS_HELD_SQL = `
  SELECT count(*)::int AS held FROM pg_locks
   WHERE locktype = 'advisory' AND classid = 1179012171 AND granted
     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

export const RELEASE_CHANNEL = 'fireflow_lock_released';

/**
 * Every statement of the lock service, each in one place. Time comes from the database clock,
 * never the caller's: statement_timestamp() is one instant for the whole statement. The hot path
 * is one statement to acquire and one to release, each a call of a PL/pgSQL function
 * (migrations/1763784000000_lock_functions.sql holds their SQL), which keeps its plans per
 * connection; the extra statements run only when a key is contended. Plain parameterised
 * statements only: named prepared statements would pin an RDS Proxy session.
 */
export const lockSql = {
  /**
   * Takes $1 for lockId $2 for $3 ms if it is free or its lease has ended; answers the new
   * fencing token, or null when the key is held.
   */
  acquire: `SELECT fireflow_lock_acquire($1, $2, $3) AS fencing_token`,

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

  /** Ends the lease of ($1 key, $2 lockId) if it still runs, waking the key's waiters if anyone waited; answers whether it did. */
  release: `SELECT fireflow_lock_release($1, $2) AS released`,

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
