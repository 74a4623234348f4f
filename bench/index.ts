import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startLocalPostgres } from '../devtools/postgres.js';
import { migrate } from '../lib/migrate.js';
import { benchConsole } from './console.js';
import { benchEngine } from './engine.js';
import { benchExecutions } from './executions.js';
import { benchLambda } from './lambda.js';
import { benchForEach, benchSignals } from './flowFeatures.js';
import { benchLocks } from './locks.js';
import { benchRedrive, benchRetries } from './resilience.js';
import { machineDescription, printTable, type Metric } from './support.js';

// `npm run bench [-- <part>...]`: runs the parts of SPEC §9 on a fresh embedded PostgreSQL
// (durability relaxed alike for FireFlow and its baselines, so CPU overheads show), prints a
// table and writes bench/results/latest.json.
const parts: Record<string, (databaseUrl: string) => Promise<Metric[]>> = {
  locks: benchLocks,
  engine: benchEngine,
  executions: benchExecutions,
  lambda: benchLambda,
  retries: benchRetries,
  redrive: benchRedrive,
  signals: benchSignals,
  foreach: benchForEach,
  console: benchConsole,
};
const notBuiltYet: string[] = [];

const requested = process.argv.slice(2);
for (const name of requested) {
  if (!(name in parts) && !notBuiltYet.includes(name)) {
    process.stderr.write(`unknown bench part "${name}"; parts: ${[...Object.keys(parts), ...notBuiltYet].join(', ')}\n`);
    process.exit(2);
  }
}
const selected = requested.length > 0 ? requested : [...Object.keys(parts), ...notBuiltYet];

const postgres = await startLocalPostgres({ fast: true });
const metrics: Metric[] = [];
try {
  await migrate(postgres.url);
  for (const name of selected) {
    const part = parts[name];
    if (!part) {
      process.stdout.write(`bench part "${name}": not built yet\n`);
      continue;
    }
    process.stdout.write(`bench part "${name}"...\n`);
    metrics.push(...(await part(postgres.url)));
  }
} finally {
  await postgres.stop();
}

printTable(metrics);
const resultsDir = path.resolve(import.meta.dirname, 'results');
await mkdir(resultsDir, { recursive: true });
const report = { machine: machineDescription(), at: new Date().toISOString(), metrics };
await writeFile(path.join(resultsDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`written ${path.join(resultsDir, 'latest.json')}\n`);
