-- Up Migration

-- Lock waiters listen for releases on connections of their own, one per process: to keep a burst
-- of Lambdas from exhausting max_connections, a listening connection first takes one of
-- `p_slots` session advisory locks (namespace 1179012171, "FFLK"), held while it lives. Answers
-- the slot taken, or null when all are: the process's waiters then poll.
CREATE FUNCTION fireflow_lock_listen_slot(p_slots integer) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  FOR v_slot IN 0 .. p_slots - 1 LOOP
    IF pg_try_advisory_lock(1179012171, v_slot) THEN
      RETURN v_slot;
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

-- Down Migration

DROP FUNCTION fireflow_lock_listen_slot(integer);
