import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import pg from 'pg';
import { startWorkerProcess } from '../devtools/processes.js';
import { FlowCatalog } from '../lib/flows/FlowCatalog.js';
import { PostgresFlowStore } from '../lib/flows/PostgresFlowStore.js';
import { PostgresFlowLockService } from '../lib/locks/PostgresFlowLockService.js';
import { absoluteMetric, median, ratioMetric, sleep, type Metric } from './support.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const { esbuildOptions } = createRequire(import.meta.url)('../esbuild.config.cjs') as { esbuildOptions: esbuild.BuildOptions };
const INIT_SAMPLES = 21;

/** Bundles `entry` exactly as a deployed Lambda is bundled (the AWS SDK comes from the runtime); returns the bundle's path. */
async function bundle(entry: string, outdir: string): Promise<string> {
  await esbuild.build({
    ...esbuildOptions,
    external: [...(esbuildOptions.external ?? []), '@aws-sdk/*'],
    entryPoints: [path.join(root, entry)],
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  return path.join(outdir, `${path.basename(entry, '.ts')}.mjs`);
}

/**
 * Milliseconds a fresh Node process spends importing the bundle (the init phase of a cold start)
 * and then, with `firstCall` (a call of the module's exports, `m`), in that first invocation.
 */
async function coldMs(bundlePath: string, databaseUrl: string, firstCall: string): Promise<{ init: number; firstCall: number }> {
  const script = `
    const t0 = performance.now();
    const m = await import(${JSON.stringify(bundlePath)});
    const t1 = performance.now();
    await ${firstCall};
    process.stdout.write(JSON.stringify({ init: t1 - t0, firstCall: performance.now() - t1 }));
    process.exit(0);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, AWS_LAMBDA_FUNCTION_NAME: 'bench', DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' },
  });
  return JSON.parse(stdout) as { init: number; firstCall: number };
}

interface ColdStartCase {
  name: string;
  handler: { entry: string; firstCall: string };
  baseline: { entry: string; firstCall: string; label: string };
}

/** The SPEC bar (init and the first invocation after it, which a caller waits for too), and each part (reported). */
async function coldStart(outdir: string, databaseUrl: string, { name, handler, baseline }: ColdStartCase): Promise<Metric[]> {
  const ours = await bundle(handler.entry, outdir);
  const bare = await bundle(baseline.entry, outdir);
  const ourSamples: Array<{ init: number; firstCall: number }> = [];
  const bareSamples: Array<{ init: number; firstCall: number }> = [];
  for (let i = 0; i < INIT_SAMPLES; i += 1) {
    bareSamples.push(await coldMs(bare, databaseUrl, baseline.firstCall));
    ourSamples.push(await coldMs(ours, databaseUrl, handler.firstCall));
  }
  const medianOf = (samples: typeof ourSamples, part: (sample: (typeof ourSamples)[number]) => number) => median(samples.map(part));
  const reported = (metric: Metric): Metric => ({ ...metric, target: 'reported', met: true });
  const init = (sample: (typeof ourSamples)[number]) => sample.init;
  const firstCall = (sample: (typeof ourSamples)[number]) => sample.firstCall;
  const both = (sample: (typeof ourSamples)[number]) => sample.init + sample.firstCall;
  return [
    ratioMetric(`lambda cold start (init + first invocation), ${name} bundle vs ${baseline.label} bundle`, 'ms', medianOf(ourSamples, both), medianOf(bareSamples, both), 1.2, false),
    reported(ratioMetric(`lambda init, ${name} vs ${baseline.label}`, 'ms', medianOf(ourSamples, init), medianOf(bareSamples, init), 1.2, false)),
    reported(ratioMetric(`lambda first invocation after init, ${name} vs ${baseline.label}`, 'ms', medianOf(ourSamples, firstCall), medianOf(bareSamples, firstCall), 1.2, false)),
  ];
}

const WARM_LAMBDA_APP = 'bench-warm-lambda';

/**
 * Runs `script` in one process that imports `handlerBundle` (one warm Lambda) while `alongside`
 * drives it from outside, and answers the most connections that process held at once. Its
 * connections are told apart by the application name carried in its connection string.
 */
async function peakConnections(
  databaseUrl: string,
  handlerBundle: string,
  script: string,
  alongside: () => Promise<void> = async () => {},
): Promise<number> {
  const lambdaUrl = new URL(databaseUrl);
  lambdaUrl.searchParams.set('application_name', WARM_LAMBDA_APP);
  const observer = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: 'bench-observer' });
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await observer.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [WARM_LAMBDA_APP]);
      peak = Math.max(peak, rows[0]?.n ?? 0);
      await sleep(5);
    }
  })();
  try {
    await Promise.all([
      run(process.execPath, ['--input-type=module', '-e', `const handler = await import(${JSON.stringify(handlerBundle)});\n${script}`], {
        env: { ...process.env, AWS_LAMBDA_FUNCTION_NAME: 'bench', DATABASE_URL: lambdaUrl.toString(), LOG_LEVEL: 'error' },
      }),
      alongside(),
    ]);
  } finally {
    sampling = false;
    await sampler;
    await observer.end();
  }
  return peak;
}

/** The lock handler as one warm Lambda: calls one after another, the first ones waiting for a lock held elsewhere. */
async function lockHandlerConnections(outdir: string, databaseUrl: string): Promise<Metric> {
  const handlerBundle = await bundle('handlers/locks-invoke.ts', outdir);
  const holderPool = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: 'bench-holder' });
  const holder = new PostgresFlowLockService({ pool: holderPool, listenConnectionString: databaseUrl });
  const key = `bench:warm:${Date.now()}`;
  const script = `
    for (let i = 0; i < 20; i += 1) {
      const grant = await handler.acquireLock({ lockKey: ${JSON.stringify(key)}, lockTtlMs: 5000, waitTimeoutMs: 2000 }, {});
      if (grant.acquired) await handler.releaseLock({ lockKey: ${JSON.stringify(key)}, lockId: grant.lockId }, {});
    }`;
  try {
    const held = await holder.acquire(key, 5_000, 0);
    const peak = await peakConnections(databaseUrl, handlerBundle, script, async () => {
      await sleep(300);
      await holder.release(key, held.lockId);
    });
    return absoluteMetric('lambda connections per warm lock handler (peak)', 'connections', peak, 2);
  } finally {
    await holder.close();
    await holderPool.end();
  }
}

const CONCURRENT_INVOCATIONS = 50;

/**
 * The execution handler as one warm Lambda given 50 invocations at once (more than Lambda ever
 * hands one instance, which runs one at a time): starts that wait for their end on a running
 * worker, then reads and cancels. Fails unless every execution completed.
 */
async function executionHandlerConnections(outdir: string, databaseUrl: string): Promise<Metric> {
  const handlerBundle = await bundle('handlers/executions-invoke.ts', outdir);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: 'bench-setup' });
  const flowId = `bench-warm-${Date.now()}`;
  await new FlowCatalog(new PostgresFlowStore(pool)).save(flowId, { nodes: [{ id: 'add', type: 'TransformNode', inputs: { expression: '1 + 1' } }] });
  const script = `
    const calls = (make) => Promise.all(Array.from({ length: ${CONCURRENT_INVOCATIONS} }, (_, i) => make(i)));
    const started = await calls(() => handler.startExecution({ flowId: ${JSON.stringify(flowId)}, waitMs: 30000 }, {}));
    const unfinished = started.filter((answer) => answer.status !== 'completed');
    if (unfinished.length > 0) throw new Error(unfinished.length + ' executions did not complete');
    await calls((i) => handler.getExecution({ executionId: started[i].executionId }, {}));
    await calls((i) => handler.cancelExecution({ executionId: started[i].executionId }, {}));`;
  const worker = startWorkerProcess({ databaseUrl, env: { WORKER_ID: 'bench-warm', WORKER_HEALTH_PORT: '0' } });
  try {
    await worker.ready;
    const peak = await peakConnections(databaseUrl, handlerBundle, script);
    return absoluteMetric(`lambda connections per warm execution handler, ${CONCURRENT_INVOCATIONS} invocations at once (peak)`, 'connections', peak, 2);
  } finally {
    await worker.stop();
    await pool.end();
  }
}

export async function benchLambda(databaseUrl: string): Promise<Metric[]> {
  const outdir = await mkdtemp(path.join(tmpdir(), 'fireflow-bench-'));
  try {
    return [
      // First calls: one statement each, on a fresh connection.
      ...(await coldStart(outdir, databaseUrl, {
        name: 'lock handler',
        handler: { entry: 'handlers/locks-invoke.ts', firstCall: `m.acquireLock({ lockKey: 'bench:cold:' + process.pid + ':' + Date.now(), lockTtlMs: 1000, waitTimeoutMs: 0 }, {})` },
        baseline: { entry: 'bench/baselines/pg-handler.ts', firstCall: `m.handler('bench:cold:bare:' + process.pid + ':' + Date.now())`, label: 'bare pg' },
      })),
      ...(await coldStart(outdir, databaseUrl, {
        name: 'execution handler',
        handler: { entry: 'handlers/executions-invoke.ts', firstCall: `m.getExecution({ executionId: 'none' }, {}).catch((error) => { if (error.name !== 'NotFoundError') throw error; })` },
        baseline: { entry: 'bench/baselines/dbos-client-handler.ts', firstCall: 'm.handler()', label: 'bare DBOSClient' },
      })),
      await lockHandlerConnections(outdir, databaseUrl),
      await executionHandlerConnections(outdir, databaseUrl),
    ];
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
