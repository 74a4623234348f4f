import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { ValidationError } from '../lib/errors.js';
import { ExecutionJanitor } from '../lib/executions/control/ExecutionJanitor.js';
import { ExecutionQueue } from '../lib/executions/control/ExecutionQueue.js';
import { workflowIdsOf } from '../lib/executions/names.js';
import { PostgresExecutionRetention } from '../lib/executions/PostgresExecutionStore.js';
import { doublingFlow, subflowCallerFlow } from './support/fixtures.js';
import { flowKit, uniqueFlowId, type FlowKit } from './support/flows.js';
import { http as api, databaseUrl, invoke } from './support/stack.js';

// Retention on the real stack: executions run by the suite's worker, backdated in SQL, deleted by
// the executionJanitor function through serverless-offline's invoke endpoint (EXECUTION_RETENTION_DAYS
// at its default, 30) and by janitors in-process with other retentions. serverless-offline also
// runs the janitor on its schedule, so the invoke tests assert what every run of it must keep to
// (bounds, what stays, what goes), and exact batch counts are checked in-process on executions
// backdated past a retention the scheduled janitor does not use.

let kit: FlowKit;
let queue: ExecutionQueue;
let leaf: string;
let subflowParent: string;
let failingMap: string;
let waiting: string;
const toCancel: string[] = [];

beforeAll(async () => {
  kit = flowKit();
  queue = await ExecutionQueue.create({ databaseUrl: databaseUrl(), appVersion: 'fireflow-1' });
  leaf = uniqueFlowId('retention-leaf');
  await kit.flows.save(leaf, doublingFlow());
  subflowParent = uniqueFlowId('retention-parent');
  await kit.flows.save(subflowParent, subflowCallerFlow(leaf));
  // Children for every item, then a failure: the root fails, and fails again when redriven.
  failingMap = uniqueFlowId('retention-map');
  await kit.flows.save(failingMap, {
    nodes: [
      { id: 'in', type: 'FlowInputNode' },
      { id: 'map', type: 'ForEachNode', inputs: { flowId: leaf, maxConcurrency: 3 } },
      { id: 'fail', type: 'FailNode', inputs: { message: 'after the children' } },
    ],
    edges: [
      { from: 'in.value', to: 'map.items' },
      { from: 'map.__success', to: 'fail.__execute' },
    ],
  });
  waiting = uniqueFlowId('retention-waiting');
  await kit.flows.save(waiting, { nodes: [{ id: 'wait', type: 'WaitForSignalNode', inputs: { signal: 'never', timeoutMs: 600_000 } }] });
});

afterAll(async () => {
  for (const executionId of toCancel) await api('POST', `/executions/${executionId}/cancel`, { json: {} });
  await queue.close();
  await kit.close();
});

async function run(flowId: string, input: unknown = 1): Promise<{ executionId: string; status: string }> {
  const reply = await api('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: { input } });
  expect(reply.status).toBeLessThan(300);
  return reply.body;
}

/** Resolves once the execution waits for its signal: from then on it writes nothing until it ends. */
async function untilWaiting(executionId: string): Promise<void> {
  for (let after = -1; ; ) {
    const page = (await api('GET', `/executions/${executionId}/events?after=${after}&waitMs=5000`)).body as { events: { type: string }[]; nextAfter: number };
    if (page.events.some((event) => event.type === 'node:waiting')) return;
    expect(page.events.length).toBeGreaterThan(0);
    after = page.nextAfter;
  }
}

/** Moves a root's whole tree `days` into the past, as if it had run then. */
async function backdate(rootId: string, days: number): Promise<void> {
  await kit.pool.query(
    `UPDATE fireflow_executions SET created_at = created_at - $2 * interval '1 day', started_at = started_at - $2 * interval '1 day',
            completed_at = completed_at - $2 * interval '1 day'
      WHERE root_execution_id = $1`,
    [rootId, days],
  );
}

interface TreeState {
  executions: number;
  events: number;
  workflows: number;
  /** Their inputs and outputs, which DBOS keeps apart from the status. */
  payloads: number;
  steps: number;
}

/** What is stored of a root's tree: its executions, their events, DBOS workflows (every run), their payloads and steps. */
async function stored(rootId: string, workflowIds: string[]): Promise<TreeState> {
  const ours = await kit.pool.query<{ executions: number; events: number }>(
    `SELECT count(*)::int AS executions, (SELECT count(*)::int FROM fireflow_execution_events v JOIN fireflow_executions e USING (execution_id) WHERE e.root_execution_id = $1) AS events
       FROM fireflow_executions WHERE root_execution_id = $1`,
    [rootId],
  );
  const dbos = await kit.pool.query<{ workflows: number; payloads: number; steps: number }>(
    `SELECT (SELECT count(*)::int FROM dbos.workflow_status WHERE workflow_uuid = ANY($1)) AS workflows,
            (SELECT count(*)::int FROM dbos.workflow_input WHERE workflow_uuid = ANY($1))
              + (SELECT count(*)::int FROM dbos.workflow_output WHERE workflow_uuid = ANY($1)) AS payloads,
            (SELECT count(*)::int FROM dbos.operation_outputs WHERE workflow_uuid = ANY($1)) AS steps`,
    [workflowIds],
  );
  return { ...ours.rows[0]!, ...dbos.rows[0]! };
}

/** Every DBOS workflow a root's tree ran as, from its records: first runs and redrives. */
async function workflowsOf(rootId: string): Promise<string[]> {
  const rows = await kit.pool.query<{ execution_id: string; redrive_count: number }>(
    'SELECT execution_id, redrive_count FROM fireflow_executions WHERE root_execution_id = $1',
    [rootId],
  );
  return rows.rows.flatMap((row) => workflowIdsOf({ executionId: row.execution_id, redriveCount: row.redrive_count }));
}

const NOTHING: TreeState = { executions: 0, events: 0, workflows: 0, payloads: 0, steps: 0 };

describe('EXECUTION_RETENTION_DAYS', () => {
  it('defaults to 30 days, takes 0 (keep everything), and refuses what is not a whole number of days', () => {
    expect(loadConfig({}).executionRetentionDays).toBe(30);
    expect(loadConfig({ EXECUTION_RETENTION_DAYS: '0' }).executionRetentionDays).toBe(0);
    expect(loadConfig({ EXECUTION_RETENTION_DAYS: '90' }).executionRetentionDays).toBe(90);
    for (const bad of ['-1', '1.5', 'month']) {
      expect(() => loadConfig({ EXECUTION_RETENTION_DAYS: bad })).toThrow(ValidationError);
    }
  });
});

describe('the executionJanitor function', () => {
  it('is packaged with the retention setting, on a 15-minute schedule', async () => {
    const template = JSON.parse(await readFile(path.join(inject('packageDir'), 'cloudformation-template-update-stack.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
    };
    const janitorFunction = template.Resources.ExecutionJanitorLambdaFunction?.Properties;
    expect(janitorFunction).toMatchObject({ FunctionName: 'fireflow-dev-executionJanitor', Timeout: 300, Environment: { Variables: { EXECUTION_RETENTION_DAYS: '30' } } });
    const rules = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Events::Rule');
    const schedule = rules.find((rule) => JSON.stringify(rule.Properties.Targets).includes('ExecutionJanitorLambdaFunction'));
    expect(schedule?.Properties.ScheduleExpression).toBe('rate(15 minutes)');
  });

  it('deletes only expired ended roots, with their children, redrives, events and DBOS history, in bounded batches', async () => {
    // Expired: three plain roots, a root with ForEach children that was redriven, and a root
    // stopped long ago whose run never closed its history.
    const plain = [await run(leaf, 1), await run(leaf, 2), await run(leaf, 3)];
    const mapped = await run(failingMap, [1, 2, 3]);
    expect(mapped.status).toBe('failed');
    const redriven = await api('POST', `/executions/${mapped.executionId}/redrive?waitMs=20000`, { json: {} });
    expect(redriven.body).toMatchObject({ status: 'failed', redriveCount: 1 });
    const unclosed = await run(leaf, 4);
    await kit.pool.query(`UPDATE fireflow_executions SET status = 'stopped', history_closed = false WHERE execution_id = $1`, [unclosed.executionId]);
    // Kept: a recent one, a running (waiting) one started long ago, and an old root whose child is still running.
    const recent = await run(leaf, 5);
    const running = (await api('POST', `/flows/${waiting}/executions`, { json: {} })).body as { executionId: string };
    toCancel.push(running.executionId);
    await untilWaiting(running.executionId);
    const withRunningChild = await run(subflowParent, 6);
    expect(withRunningChild.status).toBe('completed');
    await kit.pool.query(`UPDATE fireflow_executions SET status = 'running', completed_at = NULL, history_closed = false WHERE parent_execution_id = $1`, [withRunningChild.executionId]);

    const expired = [...plain, mapped, unclosed].map((execution) => execution.executionId);
    const kept = [recent, running, withRunningChild].map((execution) => execution.executionId);
    for (const rootId of [...expired, running.executionId, withRunningChild.executionId]) await backdate(rootId, 40);

    const workflows = new Map<string, string[]>();
    const before = new Map<string, TreeState>();
    for (const rootId of [...expired, ...kept]) {
      workflows.set(rootId, await workflowsOf(rootId));
      before.set(rootId, await stored(rootId, workflows.get(rootId)!));
    }
    expect(workflows.get(mapped.executionId)).toContain(`${mapped.executionId}:redrive:1`);
    // The map's tree: the root and three children, and DBOS history of all five runs with their steps.
    expect(before.get(mapped.executionId)).toMatchObject({ executions: 4, workflows: 5 });
    for (const rootId of expired) {
      expect(before.get(rootId)!.steps).toBeGreaterThan(0);
      expect(before.get(rootId)!.payloads).toBeGreaterThan(0);
    }

    const first = await invoke('executionJanitor', { batchSize: 1, maxBatches: 1 });
    expect(first.functionError).toBeUndefined();
    expect(first.payload).toMatchObject({ deleted: { roots: 1, executions: 1, events: expect.any(Number) }, batches: 1, more: true });
    for (let invocation = 0; ; invocation += 1) {
      expect(invocation).toBeLessThan(10);
      const next = await invoke('executionJanitor', { batchSize: 2, maxBatches: 1 });
      expect(next.functionError).toBeUndefined();
      expect(next.payload.batches).toBe(1);
      expect(next.payload.deleted.roots).toBeLessThanOrEqual(2);
      if (!next.payload.more) break;
    }

    for (const rootId of expired) expect(await stored(rootId, workflows.get(rootId)!)).toEqual(NOTHING);
    for (const rootId of kept) expect(await stored(rootId, workflows.get(rootId)!)).toEqual(before.get(rootId));
    const again = await invoke('executionJanitor', {});
    expect(again.payload).toMatchObject({ more: false });
    for (const rootId of kept) expect(await stored(rootId, workflows.get(rootId)!)).toEqual(before.get(rootId));
  });

  it('takes an EventBridge scheduled event as it comes', async () => {
    const reply = await invoke('executionJanitor', { version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-12-02T12:00:00Z', detail: {} });
    expect(reply.functionError).toBeUndefined();
    expect(reply.payload).toMatchObject({ deleted: { roots: expect.any(Number) }, batches: expect.any(Number), more: expect.any(Boolean) });
  });

  type Case = [label: string, payload: unknown, field: string];
  const cases: Case[] = [
    ['batchSize 0', { batchSize: 0 }, 'batchSize'],
    ['batchSize over 5000', { batchSize: 5001 }, 'batchSize'],
    ['batchSize a string', { batchSize: '10' }, 'batchSize'],
    ['maxBatches fractional', { maxBatches: 1.5 }, 'maxBatches'],
    ['maxBatches negative', { maxBatches: -1 }, 'maxBatches'],
    ['an array payload', [1], '(input)'],
    ['a null payload', null, '(input)'],
  ];
  it.each(cases)('fails bad input with a ValidationError: %s', async (_label, payload, field) => {
    const reply = await invoke('executionJanitor', payload);
    expect(reply.functionError).toBeDefined();
    expect(reply.payload.errorType).toBe('ValidationError');
    expect(reply.payload.errorMessage).toContain(field);
  });
});

describe('ExecutionJanitor', () => {
  // Backdated 20 days: past this janitor's 10 days, within the 30 of the scheduled one.
  const janitor = (retentionDays: number) => new ExecutionJanitor(new PostgresExecutionRetention(kit.pool), queue, retentionDays);

  it('keeps everything at 0, deletes in batches of its size, and shares the work when two run at once', async () => {
    const roots: string[] = [];
    for (let item = 0; item < 7; item += 1) roots.push((await run(leaf, item)).executionId);
    for (const rootId of roots) await backdate(rootId, 20);
    const left = async () => (await kit.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM fireflow_executions WHERE execution_id = ANY($1)', [roots])).rows[0]!.n;

    expect(await janitor(0).sweep({ batchSize: 100, maxBatches: 10 })).toEqual({ deleted: { roots: 0, executions: 0, events: 0 }, batches: 0, more: false });
    expect(await janitor(30).sweep({ batchSize: 100, maxBatches: 10 })).toMatchObject({ deleted: { roots: 0 } });
    expect(await left()).toBe(7);

    const bounded = await janitor(10).sweep({ batchSize: 2, maxBatches: 2 });
    expect(bounded).toMatchObject({ deleted: { roots: 4, executions: 4 }, batches: 2, more: true });
    expect(bounded.deleted.events).toBeGreaterThanOrEqual(4 * 6);
    expect(await left()).toBe(3);

    const both = await Promise.all([janitor(10).sweep({ batchSize: 1, maxBatches: 10 }), janitor(10).sweep({ batchSize: 1, maxBatches: 10 })]);
    expect(both[0].deleted.roots + both[1].deleted.roots).toBe(3);
    expect(both.map((answer) => answer.more)).toEqual([false, false]);
    expect(await left()).toBe(0);
  });
});
