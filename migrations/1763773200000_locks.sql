-- Up Migration

-- One row per key that was locked recently. A row is held while expires_at lies ahead on the
-- database clock; release moves expires_at to the release time, so a free row and an expired
-- row look alike and the sweeper removes both once they are older than its grace period.
-- fencing_token is the greater of the previous token + 1 and the grant time in microseconds, so
-- it rises with every grant and a key swept and locked again starts above its old tokens.
CREATE TABLE fireflow_locks (
  lock_key      text        PRIMARY KEY CHECK (char_length(lock_key) BETWEEN 1 AND 512),
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
