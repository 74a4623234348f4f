-- Up Migration

-- Saves a flow definition in one call: identical content (same hash) keeps the newest version,
-- anything else adds the next one. The flow's row is locked first, so two saves of one flow take
-- turns; each statement after the lock reads what the other committed.
CREATE FUNCTION fireflow_flow_save(p_flow_id text, p_name text, p_definition jsonb, p_hash text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_latest integer;
  v_hash text;
BEGIN
  INSERT INTO fireflow_flows (flow_id, latest_version, name) VALUES (p_flow_id, 0, p_name) ON CONFLICT (flow_id) DO NOTHING;
  SELECT f.latest_version, v.content_hash INTO v_latest, v_hash
    FROM fireflow_flows f
    LEFT JOIN fireflow_flow_versions v ON v.flow_id = f.flow_id AND v.version = f.latest_version
   WHERE f.flow_id = p_flow_id
     FOR UPDATE OF f;
  IF v_hash = p_hash THEN
    RETURN v_latest;
  END IF;
  INSERT INTO fireflow_flow_versions (flow_id, version, definition, content_hash) VALUES (p_flow_id, v_latest + 1, p_definition, p_hash);
  UPDATE fireflow_flows SET latest_version = v_latest + 1, name = p_name, updated_at = now() WHERE flow_id = p_flow_id;
  RETURN v_latest + 1;
END
$$;

-- Whether the execution's history already holds its terminal event.
CREATE FUNCTION fireflow_execution_has_end_event(p_execution_id text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM fireflow_execution_events
     WHERE execution_id = p_execution_id AND type IN ('flow:completed', 'flow:failed', 'flow:cancelled'))
$$;

-- Appends `flow:cancelled` after the execution's last event.
CREATE FUNCTION fireflow_execution_append_cancelled(p_execution_id text, p_reason text) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO fireflow_execution_events (execution_id, index, type, data)
  SELECT p_execution_id, max(index) + 1, 'flow:cancelled', jsonb_build_object('reason', p_reason)
    FROM fireflow_execution_events WHERE execution_id = p_execution_id
$$;

-- Ends a created or running execution `stopped` with `p_error`; answers its row, or no row when
-- it had ended already. An execution that never started gets its `flow:cancelled` here, since no
-- run will write it; a running one gets it from the run that stops.
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
    PERFORM fireflow_execution_append_cancelled(p_execution_id, p_error ->> 'message');
  END IF;
  RETURN QUERY
    UPDATE fireflow_executions SET status = 'stopped', error = p_error, completed_at = clock_timestamp()
     WHERE execution_id = p_execution_id
    RETURNING *;
END
$$;

-- Gives a stopped execution whose run never wrote its end (its worker died, or another run took
-- it over) its `flow:cancelled`, once it has been stopped longer than `p_after_ms`; answers
-- whether it wrote it.
CREATE FUNCTION fireflow_execution_close_stopped(p_execution_id text, p_after_ms integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM fireflow_executions
    WHERE execution_id = p_execution_id AND status = 'stopped'
      AND completed_at < clock_timestamp() - p_after_ms * interval '1 millisecond'
    FOR UPDATE;
  IF FOUND AND NOT fireflow_execution_has_end_event(p_execution_id) THEN
    PERFORM fireflow_execution_append_cancelled(p_execution_id, 'cancelled');
    RETURN true;
  END IF;
  RETURN false;
END
$$;

-- As before, but a run that ends an execution whose history is already closed writes nothing:
-- the terminal event stays the last one.
CREATE OR REPLACE FUNCTION fireflow_execution_end(p_execution_id text, p_status text, p_output jsonb, p_error jsonb, p_events jsonb)
RETURNS SETOF fireflow_executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row fireflow_executions;
  v_ended_now boolean;
BEGIN
  UPDATE fireflow_executions
     SET status = p_status, output = p_output, error = p_error, completed_at = clock_timestamp()
   WHERE execution_id = p_execution_id AND status IN ('created', 'running')
  RETURNING * INTO v_row;
  v_ended_now := FOUND;
  IF v_ended_now OR NOT fireflow_execution_has_end_event(p_execution_id) THEN
    PERFORM fireflow_execution_append_events(p_execution_id, p_events);
  END IF;
  IF v_ended_now THEN
    RETURN NEXT v_row;
  END IF;
END
$$;

-- Down Migration

CREATE OR REPLACE FUNCTION fireflow_execution_end(p_execution_id text, p_status text, p_output jsonb, p_error jsonb, p_events jsonb)
RETURNS SETOF fireflow_executions
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM fireflow_execution_append_events(p_execution_id, p_events);
  RETURN QUERY
    UPDATE fireflow_executions
       SET status = p_status, output = p_output, error = p_error, completed_at = clock_timestamp()
     WHERE execution_id = p_execution_id AND status IN ('created', 'running')
    RETURNING *;
END
$$;
DROP FUNCTION fireflow_execution_close_stopped(text, integer);
DROP FUNCTION fireflow_execution_cancel(text, jsonb);
DROP FUNCTION fireflow_execution_append_cancelled(text, text);
DROP FUNCTION fireflow_execution_has_end_event(text);
DROP FUNCTION fireflow_flow_save(text, text, jsonb, text);
