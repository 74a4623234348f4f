import http from 'node:http';
import { config } from '../lib/config.js';
import { retryingTransientErrors, sharedPool } from '../lib/db.js';
import { PostgresExecutionStore } from '../lib/executions/PostgresExecutionStore.js';
import { logger } from '../lib/logger.js';
import { DBOSExecutionWorker } from '../lib/worker/DBOSExecutionWorker.js';
import { onShutdown } from '../lib/shutdown.js';

// One worker process (the ECS task's command): DATABASE_URL, WORKER_ID and the other settings
// of lib/config.ts. SIGTERM stops it gracefully (ECS gives 120 s).
// The worker's statements are idempotent, so they may wait out a database restart or failover.
const worker = new DBOSExecutionWorker(new PostgresExecutionStore(retryingTransientErrors(sharedPool(), config().workerDbRetryMs)), null);
await worker.start();

const { workerHealthPort } = config();
const health =
  workerHealthPort === 0
    ? undefined
    : http
        .createServer((request, response) => {
          const ok = request.url === '/health' || (request.url === '/ready' && worker.isWorkerRunning());
          response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
        })
        .listen(workerHealthPort);

const { workerStopTimeoutMs } = config();
onShutdown(async () => {
  health?.close();
  await worker.stop();
  await sharedPool().end();
}, workerStopTimeoutMs + 10_000);
// Spawned by a parent (npm start, tests): stop when it goes away, never outlive it.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
logger.info('worker ready', { executorId: worker.getExecutorId(), healthPort: workerHealthPort || null });
// A parent that spawned this worker with an IPC channel (tests, npm start) learns it is ready.
process.send?.({ type: 'ready' });
