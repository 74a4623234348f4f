-- Up Migration

-- How many times the execution was redriven (SPEC: at most 1 000); each redrive runs as a DBOS
-- workflow of its own, `<executionId>:redrive:<n>`.
ALTER TABLE fireflow_executions ADD COLUMN redrive_count integer NOT NULL DEFAULT 0;

-- Redrives a failed or stopped execution whose history is closed and whose count is still
-- `p_expected_count` (so of two redrives at once, one wins): back to `running` with the count
-- raised, output, error and end cleared, the flow timeout counted from now, and the event
-- `execution:redriven` after the last one. Answers the row, or no row when it lost or may not.
CREATE FUNCTION fireflow_execution_redrive(p_execution_id text, p_expected_count integer) RETURNS SETOF fireflow_executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row fireflow_executions;
BEGIN
  UPDATE fireflow_executions
     SET status = 'running', redrive_count = redrive_count + 1, output = NULL, error = NULL,
         started_at = clock_timestamp(), completed_at = NULL
   WHERE execution_id = p_execution_id AND status IN ('failed', 'stopped')
     AND redrive_count = p_expected_count AND redrive_count < 1000
     AND fireflow_execution_has_end_event(p_execution_id)
  RETURNING * INTO v_row;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  INSERT INTO fireflow_execution_events (execution_id, index, type, data)
  SELECT p_execution_id, max(index) + 1, 'execution:redriven', jsonb_build_object('redriveCount', v_row.redrive_count)
    FROM fireflow_execution_events WHERE execution_id = p_execution_id;
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
ALTER TABLE fireflow_executions DROP COLUMN redrive_count;
