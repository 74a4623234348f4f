// The baseline of the execution benchmarks: bare DBOS workflows on a queue with the same
// settings as FireFlow's, in a process of their own, just as the FireFlow worker runs.
import { DBOS } from '@dbos-inc/dbos-sdk';
import { config } from '../../lib/config.js';
import { requireDatabaseUrl } from '../../lib/db.js';
import { BARE_QUEUE } from '../support.js';

const step = (value: number) => DBOS.runStep(async () => value + 1, { name: 'add' });
DBOS.registerWorkflow(async (value: number) => step(value), { name: 'bareOneStep' });
DBOS.registerWorkflow(async (value: number) => step(await step(await step(value))), { name: 'bareThreeStep' });
// What a DBOS user would write by hand for the 10-node flow of the executions bench: the two
// HTTP calls as steps, the transformations as plain workflow code.
const call = (url: string, init?: RequestInit) =>
  DBOS.runStep(
    async () => {
      const response = await fetch(url, init);
      return { status: response.status, body: (await response.json()) as { ok?: boolean } };
    },
    { name: 'call' },
  );
DBOS.registerWorkflow(
  async (input: { base: string }) => {
    const first = await call(`${input.base}/a`);
    if (first.body.ok !== true) return null;
    const second = await call(`${input.base}/b`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: first.status }) });
    return { result: second.status };
  },
  { name: 'bareTwoCalls' },
);
// What a WaitForSignalNode does underneath: wait for one message on a topic.
DBOS.registerWorkflow(
  async () => {
    await DBOS.setEvent('waiting', true);
    return DBOS.recv('signal:go', { timeoutSeconds: 60 });
  },
  { name: 'bareRecv' },
);

const settings = config();
DBOS.setConfig({
  name: 'fireflow',
  systemDatabaseUrl: requireDatabaseUrl(config().databaseUrl),
  systemDatabasePoolSize: 10,
  applicationVersion: settings.appVersion,
  executorID: 'bench-bare',
  runMigrations: false,
  logLevel: 'warn',
  listenQueues: [BARE_QUEUE],
} as Parameters<typeof DBOS.setConfig>[0]);
await DBOS.launch();
await DBOS.registerQueue(BARE_QUEUE, {
  globalConcurrency: settings.queueConcurrency,
  workerConcurrency: settings.workerConcurrency,
  minPollingIntervalMs: settings.queuePollMs,
  onConflict: 'always_update',
} as Parameters<typeof DBOS.registerQueue>[1]);
process.send?.({ type: 'ready' });
const stop = async () => {
  await DBOS.shutdown();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
