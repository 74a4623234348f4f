-- Up Migration

-- An event row is written only by statements that hold its execution's row: the create statements
-- insert both together, fireflow_execution_append_events takes the row FOR SHARE first, the end,
-- cancel, redrive and close functions FOR UPDATE; the janitor deletes an execution's events with
-- it. The foreign key's check, once per event row, was a third of what writing a batch of events
-- cost PostgreSQL, and it guarded nothing those statements do not.
ALTER TABLE fireflow_execution_events DROP CONSTRAINT fireflow_execution_events_execution_id_fkey;

-- A worker writes the events of all its running executions in one statement: the batches are a
-- JSON array of {execution_id, run, events}, the events as before ({index, type, node_id, data,
-- timestamp}). Each execution's events are written only while `run` is its current run and its
-- history is open; an index already written stays as it is, so a replay writes nothing twice.
-- Each run is looked up by its key, and runs are locked in execution_id order, so two writers
-- never wait on each other in a circle.
DROP FUNCTION fireflow_execution_end(text, integer, text, jsonb, jsonb, jsonb);
DROP FUNCTION fireflow_execution_append_events(text, integer, jsonb);

CREATE FUNCTION fireflow_execution_append_events(p_batches jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_batch record;
BEGIN
  FOR v_batch IN
    SELECT * FROM jsonb_to_recordset(p_batches) AS b(execution_id text, run integer, events jsonb) ORDER BY b.execution_id
  LOOP
    PERFORM 1 FROM fireflow_executions
      WHERE execution_id = v_batch.execution_id AND redrive_count = v_batch.run AND NOT history_closed
      FOR SHARE;
    CONTINUE WHEN NOT FOUND;
    INSERT INTO fireflow_execution_events (execution_id, index, type, node_id, data, timestamp)
    SELECT v_batch.execution_id, v.index, v.type, v.node_id, v.data, v.timestamp
      FROM jsonb_to_recordset(v_batch.events) AS v(index integer, type text, node_id text, data jsonb, timestamp timestamptz)
    ON CONFLICT (execution_id, index) DO NOTHING;
  END LOOP;
END
$$;

-- As before (migration 1764662400000), writing its events through the function above.
CREATE FUNCTION fireflow_execution_end(p_execution_id text, p_run integer, p_status text, p_output jsonb, p_error jsonb, p_events jsonb)
RETURNS SETOF fireflow_executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row fireflow_executions;
  v_terminal jsonb := p_events -> -1;
BEGIN
  SELECT * INTO v_row FROM fireflow_executions WHERE execution_id = p_execution_id FOR UPDATE;
  IF NOT FOUND OR v_row.redrive_count <> p_run OR v_row.history_closed THEN
    RETURN;
  END IF;
  PERFORM fireflow_execution_append_events(jsonb_build_array(jsonb_build_object('execution_id', p_execution_id, 'run', p_run, 'events', p_events)));
  -- The terminal event comes last. A replay that numbered its events unlike the run it replays
  -- may find its index taken; it then goes after the last event, so the history still ends with it.
  IF v_terminal IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM fireflow_execution_events
        WHERE execution_id = p_execution_id AND index = (v_terminal ->> 'index')::integer AND type = v_terminal ->> 'type') THEN
    PERFORM fireflow_execution_append_next(p_execution_id, v_terminal ->> 'type', v_terminal -> 'data');
  END IF;
  IF v_row.status IN ('created', 'running') THEN
    UPDATE fireflow_executions
       SET status = p_status, output = p_output, error = p_error, completed_at = clock_timestamp(), history_closed = true
     WHERE execution_id = p_execution_id
    RETURNING * INTO v_row;
    RETURN NEXT v_row;
  ELSE
    UPDATE fireflow_executions SET history_closed = true WHERE execution_id = p_execution_id;
  END IF;
END
$$;

-- Down Migration

DROP FUNCTION fireflow_execution_end(text, integer, text, jsonb, jsonb, jsonb);
DROP FUNCTION fireflow_execution_append_events(jsonb);
CREATE FUNCTION fireflow_execution_append_events(p_execution_id text, p_run integer, p_events jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM fireflow_executions
    WHERE execution_id = p_execution_id AND redrive_count = p_run AND NOT history_closed
    FOR SHARE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  INSERT INTO fireflow_execution_events (execution_id, index, type, node_id, data, timestamp)
  SELECT p_execution_id, e.index, e.type, e.node_id, e.data, e.timestamp
    FROM jsonb_to_recordset(p_events) AS e(index integer, type text, node_id text, data jsonb, timestamp timestamptz)
  ON CONFLICT (execution_id, index) DO NOTHING;
END
$$;
CREATE FUNCTION fireflow_execution_end(p_execution_id text, p_run integer, p_status text, p_output jsonb, p_error jsonb, p_events jsonb)
RETURNS SETOF fireflow_executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row fireflow_executions;
  v_terminal jsonb := p_events -> -1;
BEGIN
  SELECT * INTO v_row FROM fireflow_executions WHERE execution_id = p_execution_id FOR UPDATE;
  IF NOT FOUND OR v_row.redrive_count <> p_run OR v_row.history_closed THEN
    RETURN;
  END IF;
  PERFORM fireflow_execution_append_events(p_execution_id, p_run, p_events);
  IF v_terminal IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM fireflow_execution_events
        WHERE execution_id = p_execution_id AND index = (v_terminal ->> 'index')::integer AND type = v_terminal ->> 'type') THEN
    PERFORM fireflow_execution_append_next(p_execution_id, v_terminal ->> 'type', v_terminal -> 'data');
  END IF;
  IF v_row.status IN ('created', 'running') THEN
    UPDATE fireflow_executions
       SET status = p_status, output = p_output, error = p_error, completed_at = clock_timestamp(), history_closed = true
     WHERE execution_id = p_execution_id
    RETURNING * INTO v_row;
    RETURN NEXT v_row;
  ELSE
    UPDATE fireflow_executions SET history_closed = true WHERE execution_id = p_execution_id;
  END IF;
END
$$;
DELETE FROM fireflow_execution_events v WHERE NOT EXISTS (SELECT 1 FROM fireflow_executions e WHERE e.execution_id = v.execution_id);
ALTER TABLE fireflow_execution_events
  ADD CONSTRAINT fireflow_execution_events_execution_id_fkey
  FOREIGN KEY (execution_id) REFERENCES fireflow_executions (execution_id) ON DELETE CASCADE;
