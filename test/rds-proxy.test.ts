import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresFlowLockService } from '../lib/locks/PostgresFlowLockService.js';
import { doublingFlow } from './support/fixtures.js';
import { uniqueFlowId } from './support/flows.js';
import { databaseUrl, testPool, uniqueKey } from './support/stack.js';
import { startStatementRecorder, type StatementRecorder } from '../devtools/statementRecorder.js';
import { runWarmLambda } from './support/warmLambda.js';

// RDS Proxy pins a client to one database connection for good when a session sends session
// state: SET (not SET LOCAL), LISTEN, named prepared statements, temporary tables, session
// advisory locks. The Lambdas' DATABASE_URL goes through the proxy, so here it goes through a
// relay that records every statement, while one warm "Lambda" (a process importing the
// handlers) saves a flow, waits for a lock, extends and releases it, and starts, waits for,
// reads and cancels an execution run by the suite's worker and reads its events.

const PINNING = /^\s*(SET\s+(?!LOCAL\b)|RESET\b|LISTEN\b|UNLISTEN\b|PREPARE\b|DEALLOCATE\b|DISCARD\b|CREATE\s+TEMP|LOAD\b)|pg_advisory_lock\(|set_config\([^)]*,\s*false\s*\)/i;

let recorder: StatementRecorder;
beforeAll(async () => {
  recorder = await startStatementRecorder(databaseUrl());
});
afterAll(() => recorder.close());

it('sends nothing through RDS Proxy that would pin its connection, on at most 2 connections', async () => {
  const flowId = uniqueFlowId('proxy');
  const lockKey = uniqueKey('proxy');
  const pool = testPool(1);
  const holder = new PostgresFlowLockService({ pool, listenConnectionString: databaseUrl() });
  const held = await holder.acquire(lockKey, 10_000, 0);
  const script = `
    const locks = await import('./handlers/locks-invoke.ts');
    const executions = await import('./handlers/executions-invoke.ts');
    const flowsHttp = await import('./handlers/flows-http.ts');
    const executionsHttp = await import('./handlers/executions-http.ts');
    const httpEvent = (pathParameters, body) => ({ pathParameters, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const saved = await flowsHttp.saveFlow(httpEvent({ flowId: ${JSON.stringify(flowId)} }, ${JSON.stringify(doublingFlow())}), {});
    const lock = { lockKey: ${JSON.stringify(lockKey)} };
    const grant = await locks.acquireLock({ ...lock, lockTtlMs: 5000, waitTimeoutMs: 10000 }, {});
    const extended = await locks.extendLock({ ...lock, lockId: grant.lockId, lockTtlMs: 5000 }, {});
    const released = await locks.releaseLock({ ...lock, lockId: grant.lockId }, {});
    const started = await executions.startExecution({ flowId: ${JSON.stringify(flowId)}, input: 4, waitMs: 20000 }, {});
    const read = await executions.getExecution({ executionId: started.executionId }, {});
    const cancelled = await executions.cancelExecution({ executionId: started.executionId }, {});
    const events = await executionsHttp.listEvents(httpEvent({ executionId: started.executionId }), {});
    answer({ saved, grant, extended, released, started, read, cancelled, events });`;
  try {
    const lambda = runWarmLambda(script, { DATABASE_URL: recorder.url, LOCK_LISTEN_URL: databaseUrl() });
    // Held long enough for the Lambda's acquire to wait (and LISTEN, past the proxy).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await holder.release(lockKey, held.lockId);
    const { answer: answers } = await lambda;
    expect(answers.saved.statusCode).toBe(200);
    expect(answers.grant.acquired).toBe(true);
    expect(answers.extended.extended).toBe(true);
    expect(answers.released.released).toBe(true);
    expect(answers.started.status).toBe('completed');
    expect(answers.read.status).toBe('completed');
    expect(answers.cancelled.status).toBe('completed');
    expect(answers.events.statusCode).toBe(200);
    expect(JSON.parse(answers.events.body).done).toBe(true);
  } finally {
    await holder.close();
    await pool.end();
  }

  expect(recorder.connections.length).toBeGreaterThan(0);
  expect(recorder.connections.length).toBeLessThanOrEqual(2);
  const statements = recorder.connections.flatMap((connection) => connection.statements);
  expect(statements.some((statement) => statement.sql.includes('fireflow_locks'))).toBe(true);
  for (const table of ['fireflow_flow_versions', 'fireflow_executions', 'fireflow_execution_events', 'workflow_status']) {
    expect(statements.some((statement) => statement.sql.includes(table)), table).toBe(true);
  }
  expect(statements.filter((statement) => PINNING.test(statement.sql)).map((statement) => statement.sql)).toEqual([]);
  expect(statements.filter((statement) => statement.name !== '').map((statement) => statement.name)).toEqual([]);
});
