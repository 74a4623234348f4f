import { DBOSClient } from '@dbos-inc/dbos-sdk';
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

async function untilAllSucceeded(pool: Pool, queueName: string, ids: string[]): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM dbos.workflow_status WHERE queue_name = $1 AND status = 'SUCCESS' AND workflow_uuid = ANY($2)",
      [queueName, ids],
    );
    if ((rows[0]?.n ?? 0) >= ids.length) return;
    await sleep(50);
  }
}

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
    const fireflow = (flowId: string): Target => ({
      async enqueue() {
        const { execution } = await control.start({ flowId, input: 1, waitMs: 0 });
        return execution.executionId;
      },
    });
    const bare = (workflowName: string): Target => ({
      async enqueue() {
        const handle = await client.enqueue({ queueName: BARE_QUEUE, workflowName, appVersion: 'fireflow-1' } as never, 1);
        return handle.workflowID;
      },
    });

    const bareWorker = () => startWorkerProcess({ databaseUrl, script: 'bench/baselines/bare-dbos-worker.ts', env: { LOG_LEVEL: 'warn' } });
    const fireflowWorker = () => startWorkerProcess({ databaseUrl, env: { WORKER_ID: 'bench', WORKER_HEALTH_PORT: '0' } });

    const bareLatency = await withWorker(bareWorker(), () => latencies(client, bare('bareOneStep')));
    const ourLatency = await withWorker(fireflowWorker(), () => latencies(client, fireflow('bench-one')));
    const bareRate = await throughput(pool, BARE_QUEUE, bare('bareThreeStep'), bareWorker);
    const ourRate = await throughput(pool, EXECUTION_QUEUE_NAME, fireflow('bench-three'), fireflowWorker);

    return [
      ratioMetric('execution latency p50, 1-node flow vs bare DBOS workflow', 'ms', percentile(ourLatency, 50), percentile(bareLatency, 50), 1.3, false),
      absoluteMetric('execution latency p50, 1-node flow', 'ms', percentile(ourLatency, 50), 50),
      { ...absoluteMetric('execution latency p99, 1-node flow', 'ms', percentile(ourLatency, 99), Number.POSITIVE_INFINITY), target: 'reported', met: true },
      ratioMetric(`throughput, ${THROUGHPUT_EXECUTIONS} executions of a 3-node flow vs bare 3-step workflows`, 'executions/s', ourRate, bareRate, 0.7, true),
    ];
  } finally {
    await queue.close();
    await client.destroy();
    await pool.end();
  }
}
