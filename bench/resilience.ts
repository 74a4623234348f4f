import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { startWorkerProcess, type WorkerProcess } from '../devtools/processes.js';
import { createPool, type Pool } from '../lib/db.js';
import { ExecutionControl } from '../lib/executions/control/ExecutionControl.js';
import { ExecutionQueue } from '../lib/executions/control/ExecutionQueue.js';
import { DBOS_APPLICATION_NAME, workflowIdOf } from '../lib/executions/names.js';
import { PostgresExecutionStore } from '../lib/executions/PostgresExecutionStore.js';
import type { ExecutionRecord } from '../lib/executions/types.js';
import { FlowCatalog } from '../lib/flows/FlowCatalog.js';
import { PostgresFlowStore } from '../lib/flows/PostgresFlowStore.js';
import { absoluteMetric, percentile, ratioMetric, type Metric } from './support.js';

// Retries and redrive (SPEC §9), each on a worker process of its own and a local HTTP server.

const RETRIED_EXECUTIONS = 10;
const RETRIES_EACH = 4;
const REDRIVE_SAMPLES = 40;

/** A local server: `/fail-<n>/<key>` answers 503 to the first n calls of `<key>`; every call's time is kept. */
async function flakyServer(): Promise<{ url: string; calls: Map<string, number[]>; failing: Set<string>; close(): Promise<void> }> {
  const calls = new Map<string, number[]>();
  const failing = new Set<string>();
  const server = http.createServer((request, response) => {
    const path = request.url ?? '';
    const times = calls.get(path) ?? [];
    times.push(performance.now());
    calls.set(path, times);
    const [, failFirst] = /^\/fail-(\d+)\//.exec(path) ?? [];
    const fails = failing.has(path) || (failFirst !== undefined && times.length <= Number(failFirst));
    response.writeHead(fails ? 503 : 200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    failing,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Rig {
  pool: Pool;
  control: ExecutionControl;
  client: DBOSClient;
  worker: WorkerProcess;
  close(): Promise<void>;
}

async function rig(databaseUrl: string, workerId: string): Promise<Rig> {
  const pool = createPool({ connectionString: databaseUrl, max: 4 });
  const queue = await ExecutionQueue.create({ databaseUrl, appVersion: 'fireflow-1' });
  const client = await DBOSClient.create({ systemDatabaseUrl: databaseUrl, applicationName: DBOS_APPLICATION_NAME });
  const worker = startWorkerProcess({ databaseUrl, env: { WORKER_ID: workerId, WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'warn' } });
  await worker.ready;
  return {
    pool,
    control: new ExecutionControl(new FlowCatalog(new PostgresFlowStore(pool)), new PostgresExecutionStore(pool), queue),
    client,
    worker,
    async close() {
      await worker.stop();
      await queue.close();
      await client.destroy();
      await pool.end();
    },
  };
}

/** Waits for the run of `execution` that is current (first run or latest redrive) to finish. */
const finished = (client: DBOSClient, execution: ExecutionRecord) => client.retrieveWorkflow(workflowIdOf(execution)).getResult({ pollingIntervalMs: 5 } as never);

/**
 * How far a retried node's delays stray from its policy's: for executions whose HTTP node fails
 * four times, the time from each failed call to the next one, less the delay `node:retrying` set.
 */
export async function benchRetries(databaseUrl: string): Promise<Metric[]> {
  const server = await flakyServer();
  const parts = await rig(databaseUrl, 'bench-retries');
  try {
    await parts.control.saveFlow('bench-retried', {
      nodes: [
        {
          id: 'call',
          type: 'HttpRequestNode',
          inputs: { failOnStatus: ['5xx'] },
          retry: [{ on: ['HttpError'], maxAttempts: RETRIES_EACH, intervalMs: 100, backoffRate: 1.5 }],
        },
        { id: 'in', type: 'FlowInputNode' },
      ],
      edges: [{ from: 'in.value', to: 'call.url' }],
    });
    const strays: number[] = [];
    for (let i = 0; i < RETRIED_EXECUTIONS; i += 1) {
      const path = `/fail-${RETRIES_EACH}/${i}-${Date.now()}`;
      const { execution } = await parts.control.start({ flowId: 'bench-retried', input: `${server.url}${path}`, waitMs: 0 });
      await finished(parts.client, execution);
      const { events } = await parts.control.events(execution.executionId, -1, 0);
      const delays = events.filter((event) => event.type === 'node:retrying').map((event) => (event.data as { delayMs: number }).delayMs);
      const times = server.calls.get(path) ?? [];
      if (times.length !== RETRIES_EACH + 1 || delays.length !== RETRIES_EACH) throw new Error(`execution ${execution.executionId}: ${times.length} calls, ${delays.length} retries`);
      delays.forEach((delay, retry) => strays.push(Math.abs((times[retry + 1] as number) - (times[retry] as number) - delay)));
    }
    return [absoluteMetric(`retry delay off its policy, p99 (${strays.length} delays of 100–338 ms)`, 'ms', percentile(strays, 99), 20)];
  } finally {
    await parts.close();
    await server.close();
  }
}

/**
 * Redrive → completed for a flow that failed at its last node, against a fresh 1-node execution's
 * enqueue → completed, both as the caller sees them on the same worker.
 */
export async function benchRedrive(databaseUrl: string): Promise<Metric[]> {
  const server = await flakyServer();
  const parts = await rig(databaseUrl, 'bench-redrive');
  const toggle = '/toggle';
  try {
    await parts.control.saveFlow('bench-fresh', { nodes: [{ id: 'add', type: 'TransformNode', inputs: { expression: '1 + 1' } }] });
    await parts.control.saveFlow('bench-fails-last', {
      nodes: [
        { id: 'add', type: 'TransformNode', inputs: { expression: '1 + 1' } },
        { id: 'last', type: 'HttpRequestNode', inputs: { url: `${server.url}${toggle}`, failOnStatus: ['5xx'] } },
      ],
      edges: [{ from: 'add.__success', to: 'last.__execute' }],
    });
    const fresh: number[] = [];
    for (let i = 0; i < REDRIVE_SAMPLES + 5; i += 1) {
      const started = performance.now();
      const { execution } = await parts.control.start({ flowId: 'bench-fresh', waitMs: 0 });
      await finished(parts.client, execution);
      if (i >= 5) fresh.push(performance.now() - started);
    }
    server.failing.add(toggle);
    const failed: string[] = [];
    for (let i = 0; i < REDRIVE_SAMPLES + 5; i += 1) {
      const { execution } = await parts.control.start({ flowId: 'bench-fails-last', waitMs: 0 });
      await finished(parts.client, execution);
      failed.push(execution.executionId);
    }
    server.failing.delete(toggle);
    const redriven: number[] = [];
    for (const [i, executionId] of failed.entries()) {
      const started = performance.now();
      const execution = await parts.control.redrive(executionId, 0);
      await finished(parts.client, execution);
      if (i >= 5) redriven.push(performance.now() - started);
    }
    const ended = await parts.control.get(failed.at(-1) as string);
    if (ended.status !== 'completed') throw new Error(`a redriven execution ended ${ended.status}`);
    return [ratioMetric('redrive → completed p50, flow failed at its last node, vs a fresh 1-node execution', 'ms', percentile(redriven, 50), percentile(fresh, 50), 1.5, false)];
  } finally {
    await parts.close();
    await server.close();
  }
}
