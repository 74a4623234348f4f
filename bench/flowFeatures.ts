import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { startWorkerProcess } from '../devtools/processes.js';
import { createPool } from '../lib/db.js';
import { ExecutionControl } from '../lib/executions/control/ExecutionControl.js';
import { ExecutionQueue } from '../lib/executions/control/ExecutionQueue.js';
import { DBOS_APPLICATION_NAME, EXECUTION_QUEUE_NAME } from '../lib/executions/names.js';
import { PostgresExecutionStore } from '../lib/executions/PostgresExecutionStore.js';
import { FlowCatalog } from '../lib/flows/FlowCatalog.js';
import { PostgresFlowStore } from '../lib/flows/PostgresFlowStore.js';
import { throughput } from './executions.js';
import { absoluteMetric, BARE_QUEUE, percentile, ratioMetric, sleep, type Metric } from './support.js';

// Signals and ForEachNode (SPEC §9), each against bare DBOS doing the same in the same run.

const SIGNAL_SAMPLES = 40;
const FOREACH_ITEMS = 1_000;

interface Parts {
  control: ExecutionControl;
  client: DBOSClient;
  close(): Promise<void>;
}

async function parts(databaseUrl: string): Promise<Parts> {
  const pool = createPool({ connectionString: databaseUrl, max: 4 });
  const queue = await ExecutionQueue.create({ databaseUrl, appVersion: 'fireflow-1' });
  const client = await DBOSClient.create({ systemDatabaseUrl: databaseUrl, applicationName: DBOS_APPLICATION_NAME });
  return {
    control: new ExecutionControl(new FlowCatalog(new PostgresFlowStore(pool)), new PostgresExecutionStore(pool), queue),
    client,
    async close() {
      await queue.close();
      await client.destroy();
      await pool.end();
    },
  };
}

const bareWorker = (databaseUrl: string) => startWorkerProcess({ databaseUrl, script: 'bench/baselines/bare-dbos-worker.ts', env: { LOG_LEVEL: 'warn' } });
const fireflowWorker = (databaseUrl: string, id: string) => startWorkerProcess({ databaseUrl, env: { WORKER_ID: id, WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'warn' } });

/** Send → the waiting node completes, against a bare DBOS `send` → `recv`, both seen as the end of the workflow. */
export async function benchSignals(databaseUrl: string): Promise<Metric[]> {
  const { control, client, close } = await parts(databaseUrl);
  const getResult = (workflowId: string) => client.retrieveWorkflow(workflowId).getResult({ pollingIntervalMs: 2 } as never);
  try {
    const bare: number[] = [];
    const bareProcess = bareWorker(databaseUrl);
    try {
      await bareProcess.ready;
      for (let i = 0; i < SIGNAL_SAMPLES + 5; i += 1) {
        const handle = await client.enqueue({ queueName: BARE_QUEUE, workflowName: 'bareRecv', appVersion: 'fireflow-1' } as never);
        await client.getEvent(handle.workflowID, 'waiting', { timeoutSeconds: 30, pollingIntervalMs: 2 } as never);
        const started = performance.now();
        await client.send(handle.workflowID, { payload: i }, 'signal:go');
        await getResult(handle.workflowID);
        if (i >= 5) bare.push(performance.now() - started);
      }
    } finally {
      await bareProcess.stop();
    }

    await control.saveFlow('bench-signal', { nodes: [{ id: 'wait', type: 'WaitForSignalNode', inputs: { signal: 'go', timeoutMs: 60_000 } }] });
    const ours: number[] = [];
    const worker = fireflowWorker(databaseUrl, 'bench-signals');
    try {
      await worker.ready;
      for (let i = 0; i < SIGNAL_SAMPLES + 5; i += 1) {
        const { execution } = await control.start({ flowId: 'bench-signal', waitMs: 0 });
        for (;;) {
          const { events } = await control.events(execution.executionId, -1, 0);
          if (events.some((event) => event.type === 'node:waiting')) break;
          await sleep(2);
        }
        const started = performance.now();
        await control.sendSignal(execution.executionId, 'go', { payload: i });
        await getResult(execution.executionId);
        if (i >= 5) ours.push(performance.now() - started);
      }
    } finally {
      await worker.stop();
    }
    const p50 = percentile(ours, 50);
    return [
      ratioMetric('signal send → WaitForSignalNode completed p50, vs bare DBOS send → recv', 'ms', p50, percentile(bare, 50), 1.5, false),
      absoluteMetric('signal send → WaitForSignalNode completed p50', 'ms', p50, 100),
    ];
  } finally {
    await close();
  }
}

/** Items per second of one ForEachNode over 1 000 items (maxConcurrency 50), against 1 000 top-level executions of the same 1-node flow. */
export async function benchForEach(databaseUrl: string): Promise<Metric[]> {
  const { control, client, close } = await parts(databaseUrl);
  const pool = createPool({ connectionString: databaseUrl, max: 2 });
  try {
    await control.saveFlow('bench-item', { nodes: [{ id: 'add', type: 'TransformNode', inputs: { expression: '1 + 1' } }] });
    await control.saveFlow('bench-map', {
      nodes: [
        { id: 'in', type: 'FlowInputNode' },
        { id: 'map', type: 'ForEachNode', inputs: { flowId: 'bench-item', maxConcurrency: 50 } },
      ],
      edges: [{ from: 'in.value', to: 'map.items' }],
    });

    let item = 0;
    const topLevelRate = await throughput(
      pool,
      EXECUTION_QUEUE_NAME,
      { enqueue: async () => (await control.start({ flowId: 'bench-item', input: item++, waitMs: 0 })).execution.executionId },
      () => fireflowWorker(databaseUrl, 'bench-top-level'),
      FOREACH_ITEMS,
    );

    const mapper = fireflowWorker(databaseUrl, 'bench-foreach');
    let forEachRate: number;
    try {
      await mapper.ready;
      const started = performance.now();
      const { execution } = await control.start({ flowId: 'bench-map', input: Array.from({ length: FOREACH_ITEMS }, (_, i) => i), waitMs: 0 });
      await client.retrieveWorkflow(execution.executionId).getResult({ pollingIntervalMs: 20 } as never);
      forEachRate = FOREACH_ITEMS / ((performance.now() - started) / 1000);
      const ended = await control.get(execution.executionId);
      if (ended.status !== 'completed') throw new Error(`the ForEach execution ended ${ended.status}: ${ended.error?.message}`);
    } finally {
      await mapper.stop();
    }
    return [ratioMetric(`ForEach items/s, ${FOREACH_ITEMS} items (maxConcurrency 50), vs ${FOREACH_ITEMS} top-level executions of the same flow`, 'items/s', forEachRate, topLevelRate, 0.8, true)];
  } finally {
    await pool.end();
    await close();
  }
}
