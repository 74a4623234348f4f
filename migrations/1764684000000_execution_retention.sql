-- Up Migration

-- The execution janitor (EXECUTION_RETENTION_DAYS) walks root executions oldest first and deletes
-- each with all of its descendants. Both indexes are on columns that never change after the insert
-- (created_at, root_execution_id, and parent_execution_id in the predicates), so they cost one
-- index entry per insert and leave the updates of an execution's start and end as they were
-- (heap-only where they were). completed_at or status would be the obvious keys, but every end
-- would then update the index as well.
CREATE INDEX fireflow_executions_roots_by_age_idx
  ON fireflow_executions (created_at, execution_id) WHERE parent_execution_id IS NULL;
CREATE INDEX fireflow_executions_by_root_idx
  ON fireflow_executions (root_execution_id) WHERE parent_execution_id IS NOT NULL;

-- Down Migration

DROP INDEX fireflow_executions_by_root_idx;
DROP INDEX fireflow_executions_roots_by_age_idx;
