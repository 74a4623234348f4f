import path from 'node:path';
import { config } from '../lib/config.js';
import { maskedDatabaseUrl } from '../lib/db.js';
import { logger } from '../lib/logger.js';
import { migrate } from '../lib/migrate.js';
import { startOffline } from '../devtools/offline.js';
import { assertPortsFree, assertPostgresCanRun, assertWritable, exitOnLocalStackProblem } from '../devtools/preflight.js';
import { startScriptProcess, startWorkerProcess } from '../devtools/processes.js';
import { onShutdown } from '../lib/shutdown.js';

// The whole local stack: PostgreSQL (embedded unless DATABASE_URL is set), migrations, one
// worker process, and serverless-offline with the HTTP API and the Lambda invoke endpoint.
const settings = config();
const projectRoot = path.resolve(import.meta.dirname, '..');
const dataDir = path.join(projectRoot, '.fireflow', 'postgres');

// What would make a first run fail obscurely, each said in one line before anything starts.
await (async () => {
  await assertPortsFree([
    { port: settings.httpPort, setting: 'HTTP_PORT' },
    { port: settings.lambdaPort, setting: 'LAMBDA_PORT' },
    { port: settings.workerHealthPort, setting: 'WORKER_HEALTH_PORT' },
  ]);
  await assertWritable(path.join(projectRoot, '.esbuild'), 'serverless-offline builds the functions');
  if (!settings.databaseUrl) {
    await assertWritable(path.dirname(dataDir), 'npm start keeps the data of its PostgreSQL');
    await assertPostgresCanRun(dataDir);
  }
})().catch(exitOnLocalStackProblem);

const stops: Array<() => Promise<void>> = [];
/** Process groups started so far: a second Ctrl-C (or a stop that hangs) kills them all at once. */
const groups: number[] = [];
onShutdown(
  async () => {
    for (const stop of stops.reverse()) await stop();
  },
  settings.workerStopTimeoutMs + 60_000,
  () => {
    for (const group of groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  },
);
const started = (pid: number | undefined) => pid !== undefined && groups.push(pid);

let databaseUrl = settings.databaseUrl;
if (!databaseUrl) {
  const postgres = startScriptProcess({ script: 'scripts/postgres.ts', args: [dataDir], stdio: 'inherit' });
  started(postgres.process.pid);
  stops.push(() => postgres.stop());
  databaseUrl = (await postgres.ready).url;
  if (!databaseUrl) throw new Error('scripts/postgres.ts did not say where PostgreSQL listens');
  logger.info('embedded PostgreSQL is up', { dataDir, databaseUrl: maskedDatabaseUrl(databaseUrl) });
}
const applied = await migrate(databaseUrl);
logger.info('migrations applied', { applied });

const worker = startWorkerProcess({
  databaseUrl,
  stdio: 'inherit',
  env: { WORKER_ID: settings.workerId ?? 'local-worker', LAMBDA_ENDPOINT: `http://127.0.0.1:${settings.lambdaPort}` },
});
started(worker.process.pid);
stops.push(() => worker.stop());
await worker.ready;

const offline = await startOffline({ databaseUrl, httpPort: settings.httpPort, lambdaPort: settings.lambdaPort });
started(offline.process.pid);
stops.push(() => offline.stop());

process.stdout.write(`
FireFlow local stack is running (Ctrl-C stops all of it)
  Web console      ${offline.httpUrl.replace('127.0.0.1', 'localhost')}/console
  HTTP API         ${offline.httpUrl}
  Lambda invoke    ${offline.lambdaEndpoint}   (@aws-sdk/client-lambda endpoint, function names fireflow-dev-<key>)
  PostgreSQL       ${maskedDatabaseUrl(databaseUrl)}
  Worker           executor ${settings.workerId ?? 'local-worker'}, health on :${settings.workerHealthPort || '-'}

Try it:
  curl -s -X POST ${offline.httpUrl}/locks/orders/acquire -H 'content-type: application/json' -d '{"lockTtlMs": 30000, "waitTimeoutMs": 0}'
  curl -s ${offline.httpUrl}/locks/orders
  curl -s -X PUT ${offline.httpUrl}/flows/hello -H 'content-type: application/json' \\
    -d '{"nodes":[{"id":"in","type":"FlowInputNode"},{"id":"greet","type":"TransformNode","inputs":{"expression":"\\"hello \\" & name"}},{"id":"out","type":"FlowOutputNode"}],"edges":[{"from":"in.value","to":"greet.input"},{"from":"greet.result","to":"out.value"}]}'
  curl -s -X POST '${offline.httpUrl}/flows/hello/executions?waitMs=5000' -H 'content-type: application/json' -d '{"input":{"name":"world"}}'
`);
