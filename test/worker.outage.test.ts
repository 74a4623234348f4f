import http from 'node:http';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../devtools/ports.js';
import { startLocalPostgres, type LocalPostgres } from '../devtools/postgres.js';
import { startWorkerProcess, type WorkerProcess } from '../devtools/processes.js';
import { createPool, type Pool } from '../lib/db.js';
import { ExecutionControl } from '../lib/executions/control/ExecutionControl.js';
import { PostgresExecutionStore } from '../lib/executions/PostgresExecutionStore.js';
import { PostgresFlowStore } from '../lib/flows/PostgresFlowStore.js';
import { migrate } from '../lib/migrate.js';
import { ExecutionQueue } from '../lib/executions/control/ExecutionQueue.js';
import { FlowCatalog } from '../lib/flows/FlowCatalog.js';

// A PostgreSQL of this test's own, since it is stopped and started again mid-run.
let root: string;
let port: number;
let postgres: LocalPostgres;
let url: string;
let server: http.Server;
let baseUrl: string;
const hits = new Map<string, number>();

const startPostgres = async () => {
  postgres = await startLocalPostgres({ dataDir: path.join(root, 'data'), port, fast: true });
  url = postgres.url;
};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'fireflow-outage-'));
  await chmod(root, 0o755);
  port = await freePort();
  await startPostgres();
  await migrate(url);
  server = http.createServer((request, response) => {
    hits.set(request.url ?? '', (hits.get(request.url ?? '') ?? 0) + 1);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await postgres.stop();
  await rm(root, { recursive: true, force: true });
  await new Promise((resolve) => server.close(resolve));
});

it('completes every execution, none twice, when PostgreSQL stops mid-run and comes back', async () => {
  let pool: Pool = createPool({ connectionString: url, max: 4 });
  const queue = await ExecutionQueue.create({ databaseUrl: url, appVersion: 'fireflow-1' });
  const control = new ExecutionControl(new FlowCatalog(new PostgresFlowStore(pool)), new PostgresExecutionStore(pool), queue);
  await control.saveFlow('outage', {
    nodes: [
      { id: 'in', type: 'FlowInputNode' },
      { id: 'before', type: 'HttpRequestNode', inputs: { url: `${baseUrl}/before` } },
      { id: 'nap', type: 'SleepNode', inputs: { ms: 1_500 } },
      { id: 'after', type: 'HttpRequestNode', inputs: { method: 'POST' } },
      { id: 'url', type: 'TransformNode', inputs: { expression: `"${baseUrl}/after/" & $string($)` } },
    ],
    edges: [
      { from: 'before.__success', to: 'nap.__execute' },
      { from: 'in.value', to: 'url.input' },
      { from: 'url.result', to: 'after.url' },
      { from: 'nap.__success', to: 'after.__execute' },
    ],
  });
  const worker: WorkerProcess = startWorkerProcess({ databaseUrl: url, env: { WORKER_ID: 'outage', WORKER_HEALTH_PORT: '0' } });
  try {
    await worker.ready;
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const { execution } = await control.start({ flowId: 'outage', input: i, waitMs: 0 });
      ids.push(execution.executionId);
    }
    while ((hits.get('/before') ?? 0) < 5) await new Promise((resolve) => setTimeout(resolve, 20));
    await queue.close();
    await pool.end();
    await postgres.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await startPostgres();
    pool = createPool({ connectionString: url, max: 4 });
    const store = new PostgresExecutionStore(pool);
    const deadline = Date.now() + 60_000;
    let statuses: string[] = [];
    while (Date.now() < deadline) {
      statuses = await Promise.all(ids.map(async (id) => (await store.get(id))?.status ?? 'missing'));
      if (statuses.every((status) => ['completed', 'failed', 'stopped'].includes(status))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // How DBOS sees the workflows, should the records not have ended: what a failure here needs explained.
    const workflows = await pool.query('SELECT workflow_uuid, status, recovery_attempts, error FROM dbos.workflow_status WHERE workflow_uuid = ANY($1)', [ids]);
    expect(statuses, JSON.stringify({ workflows: workflows.rows, hits: Object.fromEntries(hits) })).toEqual(ids.map(() => 'completed'));
    expect(hits.get('/before')).toBe(5);
    for (let i = 0; i < 5; i += 1) expect(hits.get(`/after/${i}`)).toBe(1);
  } finally {
    await worker.stop('SIGKILL');
    await pool.end().catch(() => undefined);
  }
}, 120_000);
