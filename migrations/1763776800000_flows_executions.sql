-- Up Migration

-- A flow's identity and its newest version; every saved version lives in fireflow_flow_versions.
CREATE TABLE fireflow_flows (
  flow_id        text        PRIMARY KEY,
  latest_version integer     NOT NULL,
  name           text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Versions are immutable: an execution pins (flow_id, version) for its whole life.
CREATE TABLE fireflow_flow_versions (
  flow_id      text        NOT NULL REFERENCES fireflow_flows (flow_id),
  version      integer     NOT NULL,
  definition   jsonb       NOT NULL,
  -- sha256 of the canonical JSON of the definition: saving identical content keeps the version.
  content_hash text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flow_id, version)
);

CREATE TABLE fireflow_executions (
  execution_id        text        PRIMARY KEY,
  flow_id             text        NOT NULL,
  flow_version        integer     NOT NULL,
  status              text        NOT NULL CHECK (status IN ('created', 'running', 'completed', 'failed', 'stopped')),
  input               jsonb,
  output              jsonb,
  error               jsonb,
  idempotency_key     text,
  parent_execution_id text        REFERENCES fireflow_executions (execution_id),
  root_execution_id   text        NOT NULL,
  depth               integer     NOT NULL DEFAULT 0 CHECK (depth BETWEEN 0 AND 100),
  -- The node of the parent that started this child, so a replayed SubflowNode finds its child.
  parent_node_id      text,
  created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at          timestamptz,
  completed_at        timestamptz,
  FOREIGN KEY (flow_id, flow_version) REFERENCES fireflow_flow_versions (flow_id, version)
);

-- The same idempotency key for the same flow is the same execution.
CREATE UNIQUE INDEX fireflow_executions_idempotency_idx
  ON fireflow_executions (flow_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Listing a flow's executions newest first, with a (created_at, execution_id) cursor.
CREATE INDEX fireflow_executions_by_flow_idx ON fireflow_executions (flow_id, created_at DESC, execution_id DESC);
CREATE INDEX fireflow_executions_children_idx ON fireflow_executions (parent_execution_id) WHERE parent_execution_id IS NOT NULL;

-- Events of an execution, numbered contiguously from 0; the primary key forbids a duplicate index.
CREATE TABLE fireflow_execution_events (
  execution_id text        NOT NULL REFERENCES fireflow_executions (execution_id) ON DELETE CASCADE,
  index        integer     NOT NULL,
  type         text        NOT NULL,
  node_id      text,
  data         jsonb,
  timestamp    timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (execution_id, index)
);

-- Down Migration

DROP TABLE fireflow_execution_events;
DROP TABLE fireflow_executions;
DROP TABLE fireflow_flow_versions;
DROP TABLE fireflow_flows;
