-- Up Migration

-- redrive_count: how many times the execution was redriven; its run number (0 for the first run)
-- tells the writes of its current run from those of an earlier one, which may still be winding
-- down. history_closed: whether the current run's history holds its terminal event
-- (`flow:completed`, `flow:failed` or `flow:cancelled`), after which nothing more is written to it.
-- item_index: which item of its ForEachNode a child runs. descendant_count (of a root): how many
-- child executions exist under it, at most MAX_DESCENDANTS.
ALTER TABLE fireflow_executions
  ADD COLUMN descendant_count integer NOT NULL DEFAULT 0,
  ADD COLUMN redrive_count integer NOT NULL DEFAULT 0 CHECK (redrive_count BETWEEN 0 AND 1000),
  ADD COLUMN history_closed boolean NOT NULL DEFAULT false,
  ADD COLUMN item_index integer CHECK (item_index >= 0);
-- A parent's children in the order they were started (a ForEachNode starts its items in order).
DROP INDEX fireflow_executions_children_idx;
CREATE INDEX fireflow_executions_children_idx ON fireflow_executions (parent_execution_id, created_at, execution_id) WHERE parent_execution_id IS NOT NULL;
UPDATE fireflow_executions e SET history_closed = true
 WHERE status IN ('completed', 'failed', 'stopped')
   AND EXISTS (SELECT 1 FROM fireflow_execution_events v
                WHERE v.execution_id = e.execution_id AND v.type IN ('flow:completed', 'flow:failed', 'flow:cancelled'));

-- Saves a flow definition in one call: identical content (same hash) keeps the newest version,
-- anything else adds the next one. The flow's row is locked first, by a statement of its own, so
-- that the statements after it read what a concurrent save committed.
CREATE FUNCTION fireflow_flow_save(p_flow_id text, p_name text, p_definition jsonb, p_hash text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_latest integer;
BEGIN
  INSERT INTO fireflow_flows (flow_id, latest_version, name) VALUES (p_flow_id, 0, p_name) ON CONFLICT (flow_id) DO NOTHING;
  SELECT latest_version INTO v_latest FROM fireflow_flows WHERE flow_id = p_flow_id FOR UPDATE;
  IF EXISTS (SELECT 1 FROM fireflow_flow_versions WHERE flow_id = p_flow_id AND version = v_latest AND content_hash = p_hash) THEN
    RETURN v_latest;
  END IF;
  INSERT INTO fireflow_flow_versions (flow_id, version, definition, content_hash) VALUES (p_flow_id, v_latest + 1, p_definition, p_hash);
  UPDATE fireflow_flows SET latest_version = v_latest + 1, name = p_name, updated_at = now() WHERE flow_id = p_flow_id;
  RETURN v_latest + 1;
END
$$;

-- Appends one event after the last one: what FireFlow writes itself (`flow:cancelled` for a run
-- that cannot, `execution:redriven`). The caller holds the execution's row lock.
CREATE FUNCTION fireflow_execution_append_next(p_execution_id text, p_type text, p_data jsonb) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO fireflow_execution_events (execution_id, index, type, data)
  SELECT p_execution_id, coalesce(max(index), -1) + 1, p_type, p_data FROM fireflow_execution_events WHERE execution_id = p_execution_id
$$;

DROP FUNCTION fireflow_execution_end(text, text, jsonb, jsonb, jsonb);
DROP FUNCTION fireflow_execution_append_events(text, jsonb);

-- Writes events of run `p_run` given as a JSON array of {index, type, node_id, data, timestamp};
-- an index already written stays as it is, so a replay after a crash writes nothing twice.
-- Nothing is written once another run has begun or the history is closed.
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

-- Ends run `p_run` with its outcome and writes its last events, the terminal one among them, which
-- closes the history. Answers the row when this call ended the execution; no row when it had
-- ended already (cancelled meanwhile: the events are still written, unless the history is closed).
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

-- Ends a created or running execution `stopped` with `p_error`; answers its row, or no row when
-- it had ended already. One that never started gets its `flow:cancelled` here, since no run will
-- write it; a running one gets it from the run that stops.
CREATE FUNCTION fireflow_execution_cancel(p_execution_id text, p_error jsonb) RETURNS SETOF fireflow_executions
LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
BEGIN
  SELECT status INTO v_status FROM fireflow_executions WHERE execution_id = p_execution_id FOR UPDATE;
  IF v_status IS NULL OR v_status NOT IN ('created', 'running') THEN
    RETURN;
  END IF;
  IF v_status = 'created' THEN
    PERFORM fireflow_execution_append_next(p_execution_id, 'flow:cancelled', jsonb_build_object('reason', p_error ->> 'message'));
  END IF;
  RETURN QUERY
    UPDATE fireflow_executions
       SET status = 'stopped', error = p_error, completed_at = clock_timestamp(), history_closed = (v_status = 'created')
     WHERE execution_id = p_execution_id
    RETURNING *;
END
$$;

-- Gives a stopped execution whose run never wrote its end (its worker died, or its run was never
-- picked up) its `flow:cancelled`, once it has been stopped longer than `p_after_ms`; answers
-- whether it wrote it.
CREATE FUNCTION fireflow_execution_close_stopped(p_execution_id text, p_after_ms integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM fireflow_executions
    WHERE execution_id = p_execution_id AND status = 'stopped' AND NOT history_closed
      AND completed_at < clock_timestamp() - p_after_ms * interval '1 millisecond'
    FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM fireflow_execution_append_next(p_execution_id, 'flow:cancelled', jsonb_build_object('reason', 'cancelled'));
  UPDATE fireflow_executions SET history_closed = true WHERE execution_id = p_execution_id;
  RETURN true;
END
$$;

-- Redrives a failed or stopped execution whose history is closed and whose run number is still
-- `p_expected_run` (so of two redrives at once, one wins): back to `running` as its next run, with
-- output, error and end cleared, the flow timeout counted from now, and `execution:redriven` after
-- the last event. Answers the row, or no row when it lost or may not be redriven.
CREATE FUNCTION fireflow_execution_redrive(p_execution_id text, p_expected_run integer) RETURNS SETOF fireflow_executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row fireflow_executions;
BEGIN
  UPDATE fireflow_executions
     SET status = 'running', redrive_count = redrive_count + 1, output = NULL, error = NULL,
         started_at = clock_timestamp(), completed_at = NULL, history_closed = false
   WHERE execution_id = p_execution_id AND status IN ('failed', 'stopped')
     AND redrive_count = p_expected_run AND history_closed
  RETURNING * INTO v_row;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  PERFORM fireflow_execution_append_next(p_execution_id, 'execution:redriven', jsonb_build_object('redriveCount', v_row.redrive_count));
  RETURN NEXT v_row;
END
$$;

-- What a redriven run starts from: the nodes that settled in earlier runs (completed, or failed
-- with the failure handled) with their event data, and the index its events go on from.
CREATE FUNCTION fireflow_execution_redrive_start(p_execution_id text)
RETURNS TABLE (node_id text, type text, data jsonb, next_index integer)
LANGUAGE sql STABLE AS $$
  WITH history AS (SELECT max(index) + 1 AS next_index FROM fireflow_execution_events WHERE execution_id = p_execution_id)
  SELECT e.node_id, e.type, e.data, h.next_index
    FROM history h
    LEFT JOIN fireflow_execution_events e
      ON e.execution_id = p_execution_id
     AND (e.type = 'node:completed' OR (e.type = 'node:failed' AND (e.data ->> 'handled')::boolean))
$$;

-- Down Migration

DROP FUNCTION fireflow_execution_redrive_start(text);
DROP FUNCTION fireflow_execution_redrive(text, integer);
DROP FUNCTION fireflow_execution_close_stopped(text, integer);
DROP FUNCTION fireflow_execution_cancel(text, jsonb);
DROP FUNCTION fireflow_execution_end(text, integer, text, jsonb, jsonb, jsonb);
DROP FUNCTION fireflow_execution_append_events(text, integer, jsonb);
DROP FUNCTION fireflow_execution_append_next(text, text, jsonb);
DROP FUNCTION fireflow_flow_save(text, text, jsonb, text);
DROP INDEX fireflow_executions_children_idx;
CREATE INDEX fireflow_executions_children_idx ON fireflow_executions (parent_execution_id) WHERE parent_execution_id IS NOT NULL;
ALTER TABLE fireflow_executions DROP COLUMN descendant_count, DROP COLUMN item_index, DROP COLUMN history_closed, DROP COLUMN redrive_count;

-- The run-less writes of migration 1763787600000, as they were.
CREATE FUNCTION fireflow_execution_append_events(p_execution_id text, p_events jsonb) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO fireflow_execution_events (execution_id, index, type, node_id, data, timestamp)
  SELECT p_execution_id, e.index, e.type, e.node_id, e.data, e.timestamp
    FROM jsonb_to_recordset(p_events) AS e(index integer, type text, node_id text, data jsonb, timestamp timestamptz)
  ON CONFLICT (execution_id, index) DO NOTHING
$$;
CREATE FUNCTION fireflow_execution_end(p_execution_id text, p_status text, p_output jsonb, p_error jsonb, p_events jsonb)
RETURNS SETOF fireflow_executions
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM fireflow_execution_append_events(p_execution_id, p_events);
  RETURN QUERY
    UPDATE fireflow_executions SET status = p_status, output = p_output, error = p_error, completed_at = clock_timestamp()
     WHERE execution_id = p_execution_id AND status IN ('created', 'running')
    RETURNING *;
END
$$;
