-- Up Migration

-- The lock service's hot path, acquire and release, as PL/pgSQL functions. A plain statement is
-- parsed and planned on every call (FireFlow uses no named prepared statements: they would pin
-- an RDS Proxy connection); PL/pgSQL keeps its statements' plans for the life of the database
-- connection, so a call skips that work (measured: 1.5x the acquire+release pairs per second).
-- For the client each call is still one plain statement. Time is the database clock:
-- statement_timestamp() is the calling statement's start, one instant for the whole call.

-- Takes p_lock_key for p_lock_id for p_ttl_ms if it is free or its lease has ended. Answers the
-- new fencing token (the clock in microseconds for a new row, the old token + 1 otherwise), or
-- NULL when the key is held.
CREATE FUNCTION fireflow_lock_acquire(p_lock_key text, p_lock_id text, p_ttl_ms integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  granted_token bigint;
BEGIN
  INSERT INTO fireflow_locks AS l (lock_key, lock_id, fencing_token, acquired_at, expires_at)
  VALUES (
    p_lock_key,
    p_lock_id,
    (extract(epoch FROM statement_timestamp()) * 1000000)::bigint,
    statement_timestamp(),
    statement_timestamp() + p_ttl_ms * interval '1 millisecond')
  ON CONFLICT (lock_key) DO UPDATE SET
    lock_id = excluded.lock_id,
    fencing_token = l.fencing_token + 1,
    acquired_at = excluded.acquired_at,
    expires_at = excluded.expires_at
  WHERE l.expires_at <= statement_timestamp()
  RETURNING l.fencing_token INTO granted_token;
  RETURN granted_token;
END
$$;

-- Ends the lease of (p_lock_key, p_lock_id) if it still runs; answers whether it did. A release
-- of a key someone waited for (contended) wakes the waiters: NOTIFY on fireflow_lock_released
-- (the channel lib/locks/sql.ts names), sent when the call commits. Uncontended releases skip
-- it: NOTIFY serialises commits database-wide.
CREATE FUNCTION fireflow_lock_release(p_lock_key text, p_lock_id text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  was_contended boolean;
BEGIN
  UPDATE fireflow_locks SET expires_at = statement_timestamp()
   WHERE lock_key = p_lock_key AND lock_id = p_lock_id AND expires_at > statement_timestamp()
  RETURNING contended INTO was_contended;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF was_contended THEN
    PERFORM pg_notify('fireflow_lock_released', p_lock_key);
  END IF;
  RETURN true;
END
$$;

-- Down Migration

DROP FUNCTION fireflow_lock_release(text, text);
DROP FUNCTION fireflow_lock_acquire(text, text, integer);
