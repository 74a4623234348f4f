import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { startStatementRecorder } from '../devtools/statementRecorder.js';
import { startWorkerProcess, type WorkerProcess } from '../devtools/processes.js';
import { createPool, type Pool } from '../lib/db.js';
import { ExecutionControl } from '../lib/executions/control/ExecutionControl.js';
import { ExecutionQueue } from '../lib/executions/control/ExecutionQueue.js';
import { DBOS_APPLICATION_NAME, EXECUTION_QUEUE_NAME } from '../lib/executions/names.js';
import { PostgresExecutionStore } from '../lib/executions/PostgresExecutionStore.js';
import { FlowCatalog } from '../lib/flows/FlowCatalog.js';
import { PostgresFlowStore } from '../lib/flows/PostgresFlowStore.js';
import { absoluteMetric, BARE_QUEUE, percentile, ratioMetric, sleep, type Metric } from './support.js';

const LATENCY_SAMPLES = 60;
const THROUGHPUT_EXECUTIONS = 2_000;
const POLL_MS = 5;

export interface Target {
  /** Enqueues one run; answers its workflow ID. */
  enqueue(): Promise<string>;
}

/** A FireFlow flow as a target: remembers the executions it started, to check how they ended. */
interface FireflowTarget extends Target {
  started: string[];
}

async function waitFor(client: DBOSClient, workflowId: string): Promise<void> {
  await client.retrieveWorkflow(workflowId).getResult({ pollingIntervalMs: POLL_MS } as never);
}

/** Enqueue → completed, one execution at a time, as the caller sees it. */
async function latencies(client: DBOSClient, target: Target): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES + 5; i += 1) {
    const started = performance.now();
    await waitFor(client, await target.enqueue());
    if (i >= 5) samples.push(performance.now() - started);
  }
  return samples;
}

/**
 * Executions per second of a worker started on `count` queued executions, from the moment it is
 * ready until the database shows all of them done.
 */
export async function throughput(pool: Pool, queueName: string, target: Target, startWorker: () => WorkerProcess, count = THROUGHPUT_EXECUTIONS): Promise<number> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push(await target.enqueue());
  const worker = startWorker();
  await worker.ready;
  const started = performance.now();
  try {
    await untilAllSucceeded(pool, queueName, ids);
  } finally {
    await worker.stop();
  }
  return ids.length / ((performance.now() - started) / 1000);
}

/**
 * How often the benchmark looks whether a run is over: a run takes 10–40 s, and looking costs the
 * database a lookup per execution, which would weigh more on the slower of two runs if done often.
 */
const DONE_POLL_MS = 200;

async function untilAllSucceeded(pool: Pool, queueName: string, ids: string[]): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM dbos.workflow_status WHERE queue_name = $1 AND status = 'SUCCESS' AND workflow_uuid = ANY($2)",
      [queueName, ids],
    );
    if ((rows[0]?.n ?? 0) >= ids.length) return;
    await sleep(DONE_POLL_MS);
  }
}

/**
 * Fails the benchmark unless every execution started through `target` completed: a flow that
 * failed early ends its DBOS workflow successfully too, and would pass for a fast one.
 */
async function expectCompleted(pool: Pool, target: FireflowTarget): Promise<void> {
  const ids = target.started.splice(0);
  const { rows } = await pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM fireflow_executions WHERE execution_id = ANY($1) GROUP BY status',
    [ids],
  );
  const completed = rows.find((row) => row.status === 'completed')?.n ?? 0;
  if (completed !== ids.length) throw new Error(`bench: ${ids.length - completed} of ${ids.length} executions did not complete (${JSON.stringify(rows)})`);
}

/**
 * Statements a worker sends per execution, its queue polling included, counted by a relay in
 * front of PostgreSQL from the moment the worker is ready until `count` queued executions are done.
 */
async function statementsPerExecution(databaseUrl: string, pool: Pool, queueName: string, target: Target, startWorker: (url: string) => WorkerProcess, count = 200): Promise<number> {
  const recorder = await startStatementRecorder(databaseUrl);
  const sent = () => recorder.connections.reduce((sum, connection) => sum + connection.statements.length, 0);
  try {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) ids.push(await target.enqueue());
    const worker = startWorker(recorder.url);
    try {
      await worker.ready;
      const before = sent();
      await untilAllSucceeded(pool, queueName, ids);
      return (sent() - before) / count;
    } finally {
      await worker.stop();
    }
  } finally {
    await recorder.close();
  }
}

/** The outside world of the 10-node flow: GET /a answers `{"ok":true}`, POST /b `{"stored":true}`. */
async function twoCallServer(): Promise<{ base: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(request.method === 'POST' ? '{"stored":true}' : '{"ok":true}'));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The 10-node flow: two HTTP calls and eight pure nodes, the same work as `bareTwoCalls`. */
const TEN_NODE_FLOW = {
  nodes: [
    { id: 'in', type: 'FlowInputNode' },
    { id: 'urlA', type: 'TransformNode', inputs: { expression: 'base & "/a"' } },
    { id: 'callA', type: 'HttpRequestNode' },
    { id: 'ok', type: 'TransformNode', inputs: { expression: 'ok = true' } },
    { id: 'branch', type: 'BranchNode' },
    { id: 'payload', type: 'TransformNode', inputs: { expression: '{"n": $}' } },
    { id: 'urlB', type: 'TransformNode', inputs: { expression: 'base & "/b"' } },
    { id: 'callB', type: 'HttpRequestNode', inputs: { method: 'POST' } },
    { id: 'shape', type: 'TransformNode', inputs: { expression: '{"result": $}' } },
    { id: 'out', type: 'FlowOutputNode' },
  ],
  edges: [
    { from: 'in.value', to: 'urlA.input' },
    { from: 'urlA.result', to: 'callA.url' },
    { from: 'callA.body', to: 'ok.input' },
    { from: 'ok.result', to: 'branch.condition' },
    { from: 'callA.status', to: 'branch.value' },
    { from: 'branch.true', to: 'payload.input' },
    { from: 'in.value', to: 'urlB.input' },
    { from: 'urlB.result', to: 'callB.url' },
    { from: 'payload.result', to: 'callB.body' },
    { from: 'callB.status', to: 'shape.input' },
    { from: 'shape.result', to: 'out.value' },
  ],
};

async function withWorker<T>(worker: WorkerProcess, work: () => Promise<T>): Promise<T> {
  try {
    await worker.ready;
    return await work();
  } finally {
    await worker.stop();
  }
}

export async function benchExecutions(databaseUrl: string): Promise<Metric[]> {
  const pool = createPool({ connectionString: databaseUrl, max: 8 });
  const client = await DBOSClient.create({ systemDatabaseUrl: databaseUrl, applicationName: DBOS_APPLICATION_NAME });
  const queue = await ExecutionQueue.create({ databaseUrl, appVersion: 'fireflow-1', poolSize: 4 });
  const control = new ExecutionControl(new FlowCatalog(new PostgresFlowStore(pool)), new PostgresExecutionStore(pool), queue);
  const server = await twoCallServer();
  try {
    await control.saveFlow('bench-one', { nodes: [{ id: 'add', type: 'TransformNode', inputs: { expression: '1 + 1' } }] });
    await control.saveFlow('bench-three', {
      nodes: [
        { id: 'in', type: 'FlowInputNode' },
        { id: 'add', type: 'TransformNode', inputs: { expression: '$ + 1' } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [
        { from: 'in.value', to: 'add.input' },
        { from: 'add.result', to: 'out.value' },
      ],
    });
    await control.saveFlow('bench-ten', TEN_NODE_FLOW);
    const fireflow = (flowId: string, input: unknown = 1): FireflowTarget => {
      const started: string[] = [];
      return {
        started,
        async enqueue() {
          const { execution } = await control.start({ flowId, input, waitMs: 0 });
          started.push(execution.executionId);
          return execution.executionId;
        },
      };
    };
    const completed = async <T>(target: FireflowTarget, measure: (target: FireflowTarget) => Promise<T>): Promise<T> => {
      const value = await measure(target);
      await expectCompleted(pool, target);
      return value;
    };
    const bare = (workflowName: string, input: unknown = 1): Target => ({
      async enqueue() {
        const handle = await client.enqueue({ queueName: BARE_QUEUE, workflowName, appVersion: 'fireflow-1' } as never, input);
        return handle.workflowID;
      },
    });

    const bareWorker = (url = databaseUrl) => startWorkerProcess({ databaseUrl: url, script: 'bench/baselines/bare-dbos-worker.ts', env: { LOG_LEVEL: 'warn' } });
    const fireflowWorker = (url = databaseUrl) => startWorkerProcess({ databaseUrl: url, env: { WORKER_ID: 'bench', WORKER_HEALTH_PORT: '0' } });
    const calls = { base: server.base };

    const bareLatency = await withWorker(bareWorker(), () => latencies(client, bare('bareOneStep')));
    const ourLatency = await withWorker(fireflowWorker(), () => completed(fireflow('bench-one'), (target) => latencies(client, target)));
    const bareRate = await throughput(pool, BARE_QUEUE, bare('bareThreeStep'), bareWorker);
    const ourRate = await completed(fireflow('bench-three'), (target) => throughput(pool, EXECUTION_QUEUE_NAME, target, fireflowWorker));
    const bareWorkRate = await throughput(pool, BARE_QUEUE, bare('bareTwoCalls', calls), bareWorker);
    const ourWorkRate = await completed(fireflow('bench-ten', calls), (target) => throughput(pool, EXECUTION_QUEUE_NAME, target, fireflowWorker));
    const statements = {
      bareThree: await statementsPerExecution(databaseUrl, pool, BARE_QUEUE, bare('bareThreeStep'), bareWorker),
      ourThree: await completed(fireflow('bench-three'), (target) => statementsPerExecution(databaseUrl, pool, EXECUTION_QUEUE_NAME, target, fireflowWorker)),
      bareTen: await statementsPerExecution(databaseUrl, pool, BARE_QUEUE, bare('bareTwoCalls', calls), bareWorker),
      ourTen: await completed(fireflow('bench-ten', calls), (target) => statementsPerExecution(databaseUrl, pool, EXECUTION_QUEUE_NAME, target, fireflowWorker)),
    };
    const reported = (name: string, unit: string, value: number, baseline: number): Metric => ({ name, unit, value, baseline, ratio: value / baseline, target: 'reported', met: true });

    return [
      ratioMetric('execution latency p50, 1-node flow vs bare DBOS workflow', 'ms', percentile(ourLatency, 50), percentile(bareLatency, 50), 1.3, false),
      absoluteMetric('execution latency p50, 1-node flow', 'ms', percentile(ourLatency, 50), 50),
      { ...absoluteMetric('execution latency p99, 1-node flow', 'ms', percentile(ourLatency, 99), Number.POSITIVE_INFINITY), target: 'reported', met: true },
      ratioMetric(`throughput, ${THROUGHPUT_EXECUTIONS} executions of a 3-node flow vs bare 3-step workflows`, 'executions/s', ourRate, bareRate, 0.7, true),
      ratioMetric(`throughput, ${THROUGHPUT_EXECUTIONS} executions of a 10-node flow (2 HTTP calls, 8 pure nodes) vs bare DBOS doing the same work`, 'executions/s', ourWorkRate, bareWorkRate, 0.9, true),
      reported('database statements per execution, 3-node flow vs bare 3-step workflow (queue polling included)', 'statements', statements.ourThree, statements.bareThree),
      reported('database statements per execution, 10-node flow vs bare DBOS doing the same work (queue polling included)', 'statements', statements.ourTen, statements.bareTen),
    ];
  } finally {
    await server.close();
    await queue.close();
    await client.destroy();
    await pool.end();
  }
}
