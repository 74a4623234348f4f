import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import pg from 'pg';
import { PostgresFlowLockService } from '../lib/locks/PostgresFlowLockService.js';
import { absoluteMetric, median, ratioMetric, sleep, type Metric } from './support.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const { esbuildOptions } = createRequire(import.meta.url)('../esbuild.config.cjs') as { esbuildOptions: esbuild.BuildOptions };
const INIT_SAMPLES = 21;

/** Bundles `entry` exactly as a deployed Lambda is bundled (the AWS SDK comes from the runtime); returns the bundle's path. */
async function bundle(entry: string, outdir: string): Promise<string> {
  const outfile = path.join(outdir, `${path.basename(entry, '.ts')}.mjs`);
  await esbuild.build({
    ...esbuildOptions,
    external: [...(esbuildOptions.external ?? []), '@aws-sdk/*'],
    entryPoints: [path.join(root, entry)],
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** Milliseconds a fresh Node process spends importing the bundle (the init phase of a cold start). */
async function initMs(bundlePath: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(bundlePath)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, AWS_LAMBDA_FUNCTION_NAME: 'bench', DATABASE_URL: 'postgres://bench@127.0.0.1:1/bench' },
  });
  return Number(stdout);
}

async function coldStart(outdir: string, name: string, handlerEntry: string, baselineEntry: string): Promise<Metric> {
  const ours = await bundle(handlerEntry, outdir);
  const bare = await bundle(baselineEntry, outdir);
  const ourSamples: number[] = [];
  const bareSamples: number[] = [];
  for (let i = 0; i < INIT_SAMPLES; i += 1) {
    bareSamples.push(await initMs(bare));
    ourSamples.push(await initMs(ours));
  }
  return ratioMetric(name, 'ms', median(ourSamples), median(bareSamples), 1.2, false);
}

/**
 * Runs the bundled lock handler as one warm Lambda (one process, calls one after another, some
 * of them waiting for a lock held elsewhere) and counts its connections in pg_stat_activity.
 */
async function connectionsPerWarmLambda(outdir: string, databaseUrl: string): Promise<Metric> {
  const handlerBundle = await bundle('handlers/locks-invoke.ts', outdir);
  // Named apart from FireFlow's own connections, which are the ones counted.
  const observer = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: 'bench-observer' });
  const holder = new PostgresFlowLockService({ pool: observer, listenConnectionString: databaseUrl });
  const key = `bench:warm:${Date.now()}`;
  const script = `
    const { acquireLock, releaseLock } = await import(${JSON.stringify(handlerBundle)});
    for (let i = 0; i < 20; i += 1) {
      const grant = await acquireLock({ lockKey: ${JSON.stringify(key)}, lockTtlMs: 5000, waitTimeoutMs: 2000 }, {});
      if (grant.acquired) await releaseLock({ lockKey: ${JSON.stringify(key)}, lockId: grant.lockId }, {});
    }`;
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await observer.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'fireflow%'",
      );
      peak = Math.max(peak, rows[0]?.n ?? 0);
      await sleep(5);
    }
  })();
  try {
    // Hold the key for a moment, so the warm Lambda's first calls wait and open their listener.
    const held = await holder.acquire(key, 5_000, 0);
    const lambda = run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, AWS_LAMBDA_FUNCTION_NAME: 'bench', DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' },
    });
    await sleep(300);
    await holder.release(key, held.lockId);
    await lambda;
  } finally {
    sampling = false;
    await sampler;
    await holder.close();
    await observer.end();
  }
  return absoluteMetric('lambda connections per warm lock handler (peak)', 'connections', peak, 2);
}

export async function benchLambda(databaseUrl: string): Promise<Metric[]> {
  const outdir = await mkdtemp(path.join(tmpdir(), 'fireflow-bench-'));
  try {
    return [
      await coldStart(outdir, 'lambda init, lock handler bundle vs bare pg bundle', 'handlers/locks-invoke.ts', 'bench/baselines/pg-handler.ts'),
      await coldStart(
        outdir,
        'lambda init, execution handler bundle vs bare DBOSClient bundle',
        'handlers/executions-invoke.ts',
        'bench/baselines/dbos-client-handler.ts',
      ),
      await connectionsPerWarmLambda(outdir, databaseUrl),
    ];
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
