import { randomUUID } from 'node:crypto';
import { storableJson, type Pool, type Queryable } from '../db.js';
import { ConflictError, NotFoundError, ValidationError, type ErrorRecord } from '../errors.js';
import type {
  ExecutionEnd,
  ExecutionEvent,
  ExecutionPage,
  ExecutionRecord,
  ExecutionRun,
  ExecutionStatus,
  IExecutionStore,
  ChildParent,
  EventBatch,
  NewChild,
  NewExecution,
  RedriveStart,
} from './types.js';
import { DescendantLimitError } from './types.js';
import { workflowIdsOf } from './names.js';

/** What `node:completed` and `node:failed` events carry. */
interface SettledNodeEvent {
  outputs?: Record<string, unknown>;
  error?: ErrorRecord;
}

interface ExecutionRow {
  execution_id: string;
  flow_id: string;
  flow_version: number;
  status: ExecutionStatus;
  input: unknown;
  output: unknown;
  error: (Omit<ErrorRecord, 'type'> & { type?: string }) | null;
  parent_execution_id: string | null;
  root_execution_id: string;
  depth: number;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  redrive_count: number;
  parent_node_id: string | null;
  item_index: number | null;
  created_us: string;
}

const COLUMNS = `execution_id, flow_id, flow_version, status, input, output, error, parent_execution_id,
  root_execution_id, depth, created_at, started_at, completed_at, redrive_count, parent_node_id, item_index,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_us`;

/**
 * The store's statements. What a worker writes for every execution (start, end, events) are
 * calls of PL/pgSQL functions, which keep their plans per connection:
 * migrations/1763787600000_execution_functions.sql holds their SQL.
 */
const executionSql = {
  /** Creates the root execution $1 of flow $2 at version $3 (null: the newest) in one round trip. */
  create: `
    WITH created AS (
      INSERT INTO fireflow_executions (execution_id, flow_id, flow_version, status, input, idempotency_key, root_execution_id, depth)
      SELECT $1, v.flow_id, v.version, 'created', $4::jsonb, $5, $1, 0
        FROM fireflow_flows f
        JOIN fireflow_flow_versions v ON v.flow_id = f.flow_id AND v.version = coalesce($3, f.latest_version)
       WHERE f.flow_id = $2
      ON CONFLICT (flow_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING ${COLUMNS}
    ), event AS (
      INSERT INTO fireflow_execution_events (execution_id, index, type, data)
      SELECT execution_id, 0, 'execution:created', jsonb_build_object('flowId', flow_id, 'flowVersion', flow_version) FROM created
    )
    SELECT * FROM created`,
  /**
   * Creates the children $1 (a JSON array of {ord, execution_id, idempotency_key, input, item_index})
   * of flow $2's newest version under parent $3 (root $4, depth $5, node $6), each with its
   * `execution:created`, or finds those that exist; answers all of them in `ord` order. Each gets
   * its own creation time, in `ord` order, so that they list in the order asked. New children are
   * created only if the root then has at most $7 descendants: its row is locked and its count
   * raised by those created.
   */
  createChildren: `
    WITH requested AS (
      SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(ord integer, execution_id text, idempotency_key text, input jsonb, item_index integer)
    ), version AS (
      SELECT flow_id, latest_version AS version FROM fireflow_flows WHERE flow_id = $2 AND latest_version > 0
    ), root AS (
      SELECT descendant_count FROM fireflow_executions WHERE execution_id = $4 FOR UPDATE
    ), missing AS (
      SELECT r.* FROM requested r
       WHERE NOT EXISTS (SELECT 1 FROM fireflow_executions e WHERE e.flow_id = $2 AND e.idempotency_key = r.idempotency_key)
    ), created AS (
      INSERT INTO fireflow_executions (execution_id, flow_id, flow_version, status, input, idempotency_key,
                                       parent_execution_id, root_execution_id, depth, parent_node_id, item_index, created_at)
      SELECT r.execution_id, v.flow_id, v.version, 'created', r.input, r.idempotency_key, $3, $4, $5 + 1, $6, r.item_index,
             statement_timestamp() + r.ord * interval '1 microsecond'
        FROM missing r CROSS JOIN version v
       WHERE (SELECT descendant_count FROM root) + (SELECT count(*) FROM missing) <= $7
      ON CONFLICT (flow_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING ${COLUMNS}, idempotency_key
    ), counted AS (
      UPDATE fireflow_executions SET descendant_count = descendant_count + (SELECT count(*) FROM created)
       WHERE execution_id = $4 AND EXISTS (SELECT 1 FROM created)
    ), event AS (
      INSERT INTO fireflow_execution_events (execution_id, index, type, data)
      SELECT execution_id, 0, 'execution:created', jsonb_build_object('flowId', flow_id, 'flowVersion', flow_version) FROM created
    )
    SELECT c.*, r.ord FROM created c JOIN requested r USING (idempotency_key)
    UNION ALL
    SELECT e.*, r.ord
      FROM (SELECT ${COLUMNS}, idempotency_key FROM fireflow_executions
             WHERE flow_id = $2 AND idempotency_key IN (SELECT idempotency_key FROM requested)) e
      JOIN requested r USING (idempotency_key)
    ORDER BY ord`,
  flowExists: `SELECT 1 FROM fireflow_flows WHERE flow_id = $1 AND latest_version > 0`,
  descendantCount: `SELECT descendant_count FROM fireflow_executions WHERE execution_id = $1`,
  byIdempotencyKey: `SELECT ${COLUMNS}, input = $3::jsonb AS same_input FROM fireflow_executions WHERE flow_id = $1 AND idempotency_key = $2`,
  get: `SELECT ${COLUMNS} FROM fireflow_executions WHERE execution_id = $1`,
  listByFlow: `
    SELECT ${COLUMNS} FROM fireflow_executions
     WHERE flow_id = $1
       AND ($2::bigint IS NULL OR (created_at, execution_id) < ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3))
     ORDER BY created_at DESC, execution_id DESC
     LIMIT $4`,
  listChildren: `
    SELECT ${COLUMNS} FROM fireflow_executions
     WHERE parent_execution_id = $1 AND ($2::text IS NULL OR parent_node_id = $2)
       AND ($3::bigint IS NULL OR (created_at, execution_id) > ('epoch'::timestamptz + $3::bigint * interval '1 microsecond', $4))
     ORDER BY created_at, execution_id
     LIMIT $5`,
  /** Sets $1 running if it is `created`; no row otherwise. */
  markRunning: `SELECT ${COLUMNS} FROM fireflow_execution_start($1)`,
  /** Ends $1 (status $2, output $3, error $4) if it has not ended, and writes its last events ($5) in the same call. */
  markEnded: `SELECT ${COLUMNS} FROM fireflow_execution_end($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb)`,
  /** Stops $1 with error $2 if it has not ended (writing `flow:cancelled` if it never started). */
  cancel: `SELECT ${COLUMNS} FROM fireflow_execution_cancel($1, $2::jsonb)`,
  /**
   * Names the cause of a stop that a run wrote first, in its own words (its workflow was
   * cancelled: "cancelled"), after the caller's cancel that caused it: the record's error and
   * the run's flow:cancelled event get the caller's reason $2.
   */
  nameStop: `
    WITH event AS (
      UPDATE fireflow_execution_events SET data = jsonb_build_object('reason', $2::text)
       WHERE execution_id = $1 AND type = 'flow:cancelled' AND data ->> 'reason' = 'cancelled')
    UPDATE fireflow_executions SET error = jsonb_build_object('type', 'Cancelled', 'message', $2::text)
     WHERE execution_id = $1 AND status = 'stopped' AND error ->> 'message' = 'cancelled'
    RETURNING ${COLUMNS}`,
  /** Writes `flow:cancelled` for $1 if it was stopped over $2 ms ago and its history has no end. */
  closeStopped: `SELECT fireflow_execution_close_stopped($1, $2) AS closed`,
  historyClosed: `SELECT history_closed FROM fireflow_executions WHERE execution_id = $1`,
  /** Redrives $1 if it may be and its redrive count is still $2 (with `execution:redriven`). */
  redrive: `SELECT ${COLUMNS} FROM fireflow_execution_redrive($1, $2)`,
  /** The settled nodes of $1's earlier runs, and the index its events go on from. */
  redriveStart: `SELECT node_id, type, data, next_index FROM fireflow_execution_redrive_start($1)`,
  /** Writes the events of several runs ($1: a JSON array of {execution_id, run, events}); indexes already written stay as they are. */
  appendEvents: `SELECT fireflow_execution_append_events($1::jsonb)`,
  listEvents: `
    SELECT index, type, node_id, data, timestamp FROM fireflow_execution_events
     WHERE execution_id = $1 AND index > $2 ORDER BY index LIMIT $3`,
  /**
   * Locks up to $2 root executions, oldest first, that ended over $1 days ago and whose whole tree
   * has ended; roots another janitor holds are skipped. A stopped root whose run never wrote its
   * `flow:cancelled` counts as closed: that run stopped long before the retention ran out.
   */
  lockExpiredRoots: `
    SELECT execution_id, descendant_count FROM fireflow_executions r
     WHERE r.parent_execution_id IS NULL
       AND r.created_at < statement_timestamp() - $1 * interval '1 day'
       AND r.completed_at < statement_timestamp() - $1 * interval '1 day'
       AND r.status IN ('completed', 'failed', 'stopped') AND (r.history_closed OR r.status = 'stopped')
       AND NOT EXISTS (SELECT 1 FROM fireflow_executions d
                        WHERE d.parent_execution_id IS NOT NULL AND d.root_execution_id = r.execution_id
                          AND d.status IN ('created', 'running'))
     ORDER BY r.created_at, r.execution_id
     LIMIT $2
       FOR UPDATE SKIP LOCKED`,
  /**
   * The roots $1 and every descendant of theirs, with their run counts, locked (in the order event
   * writers lock them): a writer still appending to one of them finishes first, so the delete
   * after this sees its events, and one that comes later finds no execution to write to.
   */
  trees: `
    SELECT execution_id, redrive_count FROM fireflow_executions
     WHERE execution_id = ANY($1) OR (parent_execution_id IS NOT NULL AND root_execution_id = ANY($1))
     ORDER BY execution_id
       FOR UPDATE`,
  /** Deletes the executions $1 and their events (their parents among them: the foreign keys are checked at the end). */
  deleteExecutions: `
    WITH events AS (DELETE FROM fireflow_execution_events WHERE execution_id = ANY($1) RETURNING 1),
         executions AS (DELETE FROM fireflow_executions WHERE execution_id = ANY($1) RETURNING 1)
    SELECT (SELECT count(*) FROM executions)::int AS executions, (SELECT count(*) FROM events)::int AS events`,
} as const;

/** A stopped execution's error: cancellation is not a failure, but its reason is recorded. */
const CANCELLED = 'Cancelled';
/** What a run says when it stops because its workflow was cancelled (it cannot know why). */
const RUN_STOP_REASON = 'cancelled';

const cancelledError = (reason: string): string => storableJson({ type: CANCELLED, message: reason });

/** jsonb parameters go over as JSON text: pg would send a JS array as a PostgreSQL array. */
const jsonParam = (value: unknown): string | null => (value === undefined ? null : storableJson(value));

/** Events as the execution functions read them (`jsonb_to_recordset`). */
const eventRows = (events: ExecutionEvent[]) =>
  events.map((event) => ({ index: event.index, type: event.type, node_id: event.nodeId ?? null, data: event.data ?? null, timestamp: event.timestamp }));

const eventsParam = (events: ExecutionEvent[]): string => storableJson(eventRows(events));

function toRecord(row: ExecutionRow): ExecutionRecord {
  return {
    executionId: row.execution_id,
    flowId: row.flow_id,
    flowVersion: row.flow_version,
    status: row.status,
    input: row.input ?? null,
    output: row.output ?? null,
    error: row.error && { ...row.error, type: row.error.type ?? (row.status === 'stopped' ? CANCELLED : 'FlowError') },
    parentExecutionId: row.parent_execution_id,
    rootExecutionId: row.root_execution_id,
    depth: row.depth,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    completedAt: row.completed_at?.toISOString() ?? null,
    redriveCount: row.redrive_count,
    parentNodeId: row.parent_node_id,
    itemIndex: row.item_index,
  };
}

function encodeCursor(row: ExecutionRow): string {
  return Buffer.from(JSON.stringify([row.created_us, row.execution_id])).toString('base64url');
}

/** A page of at most `limit` records from `limit + 1` rows; the extra row says there is more. */
function pageOf(rows: ExecutionRow[], limit: number): ExecutionPage {
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return { items: kept.map(toRecord), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2 && /^\d{1,18}$/.test(String(decoded[0])) && typeof decoded[1] === 'string' && !decoded[1].includes('\u0000')) {
      return [String(decoded[0]), decoded[1]];
    }
  } catch {
    // Reported below like any other malformed cursor.
  }
  throw ValidationError.forField('cursor', 'is not a cursor this API handed out');
}

export class PostgresExecutionStore implements IExecutionStore {
  constructor(private readonly pool: Queryable) {}

  async create(execution: NewExecution): Promise<{ execution: ExecutionRecord; created: boolean }> {
    const input = jsonParam(execution.input ?? null);
    const result = await this.pool.query<ExecutionRow>(executionSql.create, [
      execution.executionId,
      execution.flowId,
      execution.flowVersion ?? null,
      input,
      execution.idempotencyKey ?? null,
    ]);
    const row = result.rows[0];
    if (row) return { execution: toRecord(row), created: true };
    const missing = new NotFoundError(
      execution.flowVersion === undefined ? `flow ${execution.flowId} does not exist` : `flow ${execution.flowId} has no version ${execution.flowVersion}`,
    );
    if (execution.idempotencyKey === undefined) throw missing;
    const existing = await this.pool.query<ExecutionRow & { same_input: boolean }>(executionSql.byIdempotencyKey, [
      execution.flowId,
      execution.idempotencyKey,
      input,
    ]);
    const found = existing.rows[0];
    if (!found) throw missing;
    if (!found.same_input) {
      throw new ConflictError(`idempotencyKey ${execution.idempotencyKey} was used for execution ${found.execution_id} with a different input`);
    }
    return { execution: toRecord(found), created: false };
  }

  async createChildren(parent: ChildParent, flowId: string, children: NewChild[], maxDescendants: number): Promise<ExecutionRecord[]> {
    const requested = children.map((child, ord) => ({ ord, execution_id: randomUUID(), idempotency_key: child.idempotencyKey, input: child.input ?? null, item_index: child.itemIndex ?? null }));
    const params = [storableJson(requested), flowId, parent.executionId, parent.rootExecutionId, parent.depth, parent.nodeId, maxDescendants];
    let result = await this.pool.query<ExecutionRow>(executionSql.createChildren, params);
    // A child another run of the parent inserted meanwhile is in neither half of the answer (the
    // statement's snapshot predates it): asking again finds it.
    if (result.rows.length > 0 && result.rows.length < children.length) result = await this.pool.query<ExecutionRow>(executionSql.createChildren, params);
    if (result.rows.length < children.length) {
      const flow = await this.pool.query(executionSql.flowExists, [flowId]);
      if (flow.rowCount === 0) throw new NotFoundError(`flow ${flowId} does not exist`);
      const root = await this.pool.query<{ descendant_count: number }>(executionSql.descendantCount, [parent.rootExecutionId]);
      throw new DescendantLimitError(maxDescendants, (root.rows[0]?.descendant_count ?? 0) + children.length - result.rows.length);
    }
    return result.rows.map(toRecord);
  }

  async get(executionId: string): Promise<ExecutionRecord | undefined> {
    const result = await this.pool.query<ExecutionRow>(executionSql.get, [executionId]);
    const row = result.rows[0];
    return row && toRecord(row);
  }

  async listByFlow(flowId: string, page: { limit: number; cursor?: string }): Promise<ExecutionPage> {
    const [createdUs, executionId] = page.cursor === undefined ? [null, null] : decodeCursor(page.cursor);
    const result = await this.pool.query<ExecutionRow>(executionSql.listByFlow, [flowId, createdUs, executionId, page.limit + 1]);
    return pageOf(result.rows, page.limit);
  }

  async listChildren(executionId: string, page: { nodeId?: string; limit: number; cursor?: string }): Promise<ExecutionPage> {
    const [createdUs, after] = page.cursor === undefined ? [null, null] : decodeCursor(page.cursor);
    const result = await this.pool.query<ExecutionRow>(executionSql.listChildren, [executionId, page.nodeId ?? null, createdUs, after, page.limit + 1]);
    return pageOf(result.rows, page.limit);
  }

  async markRunning(executionId: string): Promise<ExecutionRecord> {
    const result = await this.pool.query<ExecutionRow>(executionSql.markRunning, [executionId]);
    return this.updatedOrCurrent(executionId, result.rows[0]);
  }

  async markEnded({ executionId, redriveCount }: ExecutionRun, end: ExecutionEnd, lastEvents: ExecutionEvent[]): Promise<ExecutionRecord> {
    const output = end.status === 'completed' ? jsonParam(end.output ?? null) : null;
    const error = end.status === 'failed' ? jsonParam(end.error) : end.status === 'stopped' ? cancelledError(end.reason) : null;
    const result = await this.pool.query<ExecutionRow>(executionSql.markEnded, [executionId, redriveCount, end.status, output, error, eventsParam(lastEvents)]);
    return this.updatedOrCurrent(executionId, result.rows[0]);
  }

  async cancel(executionId: string, reason: string): Promise<ExecutionRecord> {
    const result = await this.pool.query<ExecutionRow>(executionSql.cancel, [executionId, cancelledError(reason)]);
    const updated = result.rows[0];
    if (updated || reason === RUN_STOP_REASON) return this.updatedOrCurrent(executionId, updated);
    // The run may have noticed the cancelled workflow and ended first, in its own words.
    const named = await this.pool.query<ExecutionRow>(executionSql.nameStop, [executionId, reason]);
    return this.updatedOrCurrent(executionId, named.rows[0]);
  }

  async redrive(executionId: string, expectedRedriveCount: number): Promise<ExecutionRecord | undefined> {
    const result = await this.pool.query<ExecutionRow>(executionSql.redrive, [executionId, expectedRedriveCount]);
    const row = result.rows[0];
    return row && toRecord(row);
  }

  async redriveStart(executionId: string): Promise<RedriveStart> {
    const result = await this.pool.query<{ node_id: string | null; type: string | null; data: SettledNodeEvent | null; next_index: number }>(
      executionSql.redriveStart,
      [executionId],
    );
    const settled: RedriveStart['settled'] = {};
    for (const row of result.rows) {
      if (row.node_id === null || row.data === null) continue;
      settled[row.node_id] = row.type === 'node:completed' ? { outputs: row.data.outputs ?? {} } : { error: row.data.error as ErrorRecord };
    }
    return { settled, nextIndex: result.rows[0]?.next_index ?? 1 };
  }

  async closeStopped(executionId: string, afterMs: number): Promise<boolean> {
    const result = await this.pool.query<{ closed: boolean }>(executionSql.closeStopped, [executionId, afterMs]);
    return result.rows[0]?.closed === true;
  }

  async historyClosed(executionId: string): Promise<boolean> {
    const result = await this.pool.query<{ history_closed: boolean }>(executionSql.historyClosed, [executionId]);
    return result.rows[0]?.history_closed === true;
  }

  async appendEvents(batches: EventBatch[]): Promise<void> {
    const written = batches.filter((batch) => batch.events.length > 0);
    if (written.length === 0) return;
    const param = storableJson(written.map(({ run, events }) => ({ execution_id: run.executionId, run: run.redriveCount, events: eventRows(events) })));
    await this.pool.query(executionSql.appendEvents, [param]);
  }

  async listEvents(executionId: string, after: number, limit: number): Promise<ExecutionEvent[]> {
    const result = await this.pool.query<{ index: number; type: ExecutionEvent['type']; node_id: string | null; data: unknown; timestamp: Date }>(
      executionSql.listEvents,
      [executionId, after, limit],
    );
    return result.rows.map((row) => ({
      index: row.index,
      type: row.type,
      timestamp: row.timestamp.toISOString(),
      ...(row.node_id === null ? {} : { nodeId: row.node_id }),
      ...(row.data === null ? {} : { data: row.data }),
    }));
  }

  private async updatedOrCurrent(executionId: string, updated: ExecutionRow | undefined): Promise<ExecutionRecord> {
    if (updated) return toRecord(updated);
    const current = await this.get(executionId);
    if (!current) throw new NotFoundError(`execution ${executionId} does not exist`);
    return current;
  }
}

/** One batch of the execution janitor (see PostgresExecutionRetention.deleteBatch). */
export interface RetentionBatch {
  /** Root executions that ended longer ago than this many days go (at least 1). */
  retentionDays: number;
  /** At most this many roots. */
  maxRoots: number;
  /** Roots are taken while the executions (roots and descendants) taken before them number fewer than this; always one. */
  maxExecutions: number;
}

export interface RetentionBatchResult {
  roots: number;
  executions: number;
  events: number;
  /** Whether the batch took as many roots as it could: more may be left. */
  full: boolean;
}

/**
 * Deletes expired executions in batches. Separate from PostgresExecutionStore because a batch
 * is a transaction, which needs a pool's connection of its own.
 */
export class PostgresExecutionRetention {
  constructor(private readonly pool: Pool) {}

  /**
   * Locks a batch of expired roots (skipping those another janitor holds), hands the DBOS
   * workflows of their trees to `deleteHistory` while they stay locked, then deletes the trees and
   * their events and commits. A redrive of one of them waits for that and then finds nothing. If
   * anything fails nothing of FireFlow's is deleted, and the next batch takes the same roots again
   * (deleting a workflow history twice is harmless).
   */
  async deleteBatch(batch: RetentionBatch, deleteHistory: (workflowIds: string[]) => Promise<void>): Promise<RetentionBatchResult> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const locked = await client.query<{ execution_id: string; descendant_count: number }>(executionSql.lockExpiredRoots, [batch.retentionDays, batch.maxRoots]);
      const roots: string[] = [];
      let executions = 0;
      for (const row of locked.rows) {
        if (roots.length > 0 && executions >= batch.maxExecutions) break;
        roots.push(row.execution_id);
        executions += 1 + row.descendant_count;
      }
      if (roots.length === 0) {
        await client.query('COMMIT');
        return { roots: 0, executions: 0, events: 0, full: false };
      }
      const trees = await client.query<{ execution_id: string; redrive_count: number }>(executionSql.trees, [roots]);
      await deleteHistory(trees.rows.flatMap((row) => workflowIdsOf({ executionId: row.execution_id, redriveCount: row.redrive_count })));
      const deleted = await client.query<{ executions: number; events: number }>(executionSql.deleteExecutions, [trees.rows.map((row) => row.execution_id)]);
      await client.query('COMMIT');
      const counts = deleted.rows[0] ?? { executions: 0, events: 0 };
      return { roots: roots.length, ...counts, full: roots.length < locked.rows.length || locked.rows.length === batch.maxRoots };
    } catch (error) {
      // A connection that cannot even roll back is not handed back to the pool.
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
