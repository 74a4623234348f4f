import http from 'node:http';
import { config } from '../lib/config.js';
import { createPool, requireDatabaseUrl, retryingTransientErrors } from '../lib/db.js';
import { PostgresExecutionStore } from '../lib/executions/PostgresExecutionStore.js';
import { logger } from '../lib/logger.js';
import { onShutdown } from '../lib/shutdown.js';
import { DBOSExecutionWorker } from '../lib/worker/DBOSExecutionWorker.js';

// One worker process (the ECS task's command), and its composition root: DATABASE_URL, WORKER_ID
// and the other settings of lib/config.ts. SIGTERM stops it gracefully (ECS gives 120 s).
const settings = config();
const databaseUrl = requireDatabaseUrl(settings.databaseUrl);

// The health port is taken before any work, so a port in use stops the worker in one line.
const health =
  settings.workerHealthPort === 0
    ? undefined
    : await new Promise<http.Server>((resolve, reject) => {
        const server = http.createServer((request, response) => {
          const ok = request.url === '/health' || (request.url === '/ready' && worker.isWorkerRunning());
          response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
        });
        server.once('error', reject).listen(settings.workerHealthPort, () => resolve(server));
      }).catch((error: unknown) => {
        // Several workers may run on one host, each on its own port.
        const reason = (error as NodeJS.ErrnoException).code ?? String(error);
        logger.error(`the worker's health port ${settings.workerHealthPort} is not available (${reason}): give each worker on this host its own WORKER_HEALTH_PORT, or 0 for none`, { port: settings.workerHealthPort });
        process.exit(1);
      });

const pool = createPool({ connectionString: databaseUrl, max: settings.dbPoolMax, databaseSecretArn: settings.databaseSecretArn });
// The worker's statements are idempotent, so they may wait out a database restart or failover.
const database = retryingTransientErrors(pool, settings.workerDbRetryMs);
const worker = new DBOSExecutionWorker(new PostgresExecutionStore(database), null, { databaseUrl, pool, config: settings });
await worker.start();

onShutdown(async () => {
  health?.close();
  await worker.stop();
  await pool.end();
}, settings.workerStopTimeoutMs + 10_000);
// Spawned by a parent (npm start, tests): stop when it goes away, never outlive it.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
logger.info('worker ready', { executorId: worker.getExecutorId(), healthPort: settings.workerHealthPort || null });
// A parent that spawned this worker with an IPC channel (tests, npm start) learns it is ready.
process.send?.({ type: 'ready' });
