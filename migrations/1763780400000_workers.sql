-- Up Migration

-- One row per live worker process (its DBOS executor ID). A row whose heartbeat is older than
-- the dead-after period belongs to a dead worker: one survivor claims it (claimed_by), resumes
-- its pending executions, and deletes it. A claim that is itself stale may be taken over.
CREATE TABLE fireflow_workers (
  executor_id         text        PRIMARY KEY,
  application_version text        NOT NULL,
  started_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  heartbeat_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  claimed_by          text,
  claimed_at          timestamptz
);

-- Down Migration

DROP TABLE fireflow_workers;
