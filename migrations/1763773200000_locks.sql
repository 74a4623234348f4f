-- Up Migration

-- One row per key that was locked recently. A row is held while expires_at lies ahead on the
-- database clock; release moves expires_at to the release time, so a free row and an expired
-- row look alike and the sweeper removes both once they are older than its grace period.
-- fencing_token starts at the grant time in microseconds and rises by one with every later grant,
-- so a key swept and locked again starts above its old tokens (no key is granted a million times
-- a second). Key length is checked by the service, not here: a CHECK costs every statement.
CREATE TABLE fireflow_locks (
  lock_key      text        PRIMARY KEY,
  lock_id       text        NOT NULL,
  fencing_token bigint      NOT NULL,
  acquired_at   timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  -- Set by the first refused attempt and kept until the row is swept: only releases of keys
  -- that someone waited for pay for a NOTIFY (it serialises commits database-wide).
  contended     boolean     NOT NULL DEFAULT false
) WITH (fillfactor = 80);
-- No index on expires_at on purpose: every acquire and release rewrites it, and an index would
-- turn those cheap HOT updates into index writes. The sweeper's occasional scan is cheaper.

-- Down Migration

DROP TABLE fireflow_locks;
