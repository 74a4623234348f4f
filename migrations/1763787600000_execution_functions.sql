-- Up Migration

-- What a worker writes for every execution, as PL/pgSQL functions: like the lock functions, they
-- keep their plans for the life of a database connection instead of a parse and plan per call
-- (measured: ending an execution with its events 1.7 to 2.3 times as fast). Each call is one
-- plain statement for the client.

-- Writes events given as a JSON array of {index, type, node_id, data, timestamp}; an index
-- already written stays as it is, so a replay after a crash writes nothing twice.
CREATE FUNCTION fireflow_execution_append_events(p_execution_id text, p_events jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO fireflow_execution_events (execution_id, index, type, node_id, data, timestamp)
  SELECT p_execution_id, e.index, e.type, e.node_id, e.data, e.timestamp
    FROM jsonb_to_recordset(p_events) AS e(index integer, type text, node_id text, data jsonb, timestamp timestamptz)
  ON CONFLICT (execution_id, index) DO NOTHING;
END
$$;

-- Sets a created execution running; answers its row, or no row when it was not `created`.
CREATE FUNCTION fireflow_execution_start(p_execution_id text) RETURNS SETOF fireflow_executions
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
    UPDATE fireflow_executions SET status = 'running', started_at = clock_timestamp()
     WHERE execution_id = p_execution_id AND status = 'created'
    RETURNING *;
END
$$;

-- Ends a created or running execution with its outcome and writes its last events, in one call;
-- answers its row, or no row when it had ended already (the events are written either way).
CREATE FUNCTION fireflow_execution_end(p_execution_id text, p_status text, p_output jsonb, p_error jsonb, p_events jsonb)
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

-- Down Migration

DROP FUNCTION fireflow_execution_end(text, text, jsonb, jsonb, jsonb);
DROP FUNCTION fireflow_execution_start(text);
DROP FUNCTION fireflow_execution_append_events(text, jsonb);
