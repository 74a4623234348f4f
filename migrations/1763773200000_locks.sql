-- Up Migration

-- Fencing tokens come from one global sequence: strictly increasing for every key, and
-- never reset when a row is swept away, so lock rows can be deleted freely.
CREATE SEQUENCE fireflow_lock_fencing_seq AS bigint;

-- One row per key that was locked recently. A row is held while expires_at lies ahead on the
-- database clock; release moves expires_at to the release time, so a free row and an expired
-- row look alike and the sweeper removes both once they are older than its grace period.
CREATE TABLE fireflow_locks (
  lock_key      text        PRIMARY KEY CHECK (char_length(lock_key) BETWEEN 1 AND 512),
  lock_id       text        NOT NULL,
  fencing_token bigint      NOT NULL,
  acquired_at   timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL
) WITH (fillfactor = 80);
-- No index on expires_at on purpose: every acquire and release rewrites it, and an index would
-- turn those cheap HOT updates into index writes. The sweeper's occasional scan is cheaper.

-- Down Migration

DROP TABLE fireflow_locks;
DROP SEQUENCE fireflow_lock_fencing_seq;
