import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { startOffline } from '../../devtools/offline.js';
import { freePort } from '../../devtools/ports.js';
import { startLocalPostgres } from '../../devtools/postgres.js';
import { assertWritable, exitOnLocalStackProblem } from '../../devtools/preflight.js';
import { startWorkerProcess } from '../../devtools/processes.js';
import { migrate } from '../../lib/migrate.js';

/** The value of the flow secret `test-token` the suite's worker holds. */
export const TEST_SECRET_VALUE = 'Bearer test-secret-4f1c9a';
/** The issuer and audience of the JWT authorizer under test. */
export const TEST_JWT = { issuer: 'https://issuer.test', audience: 'fireflow-test' };

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    httpUrl: string;
    /** The HTTP API behind the JWT authorizer. */
    jwtHttpUrl: string;
    lambdaEndpoint: string;
    /** Where `serverless package` wrote the template and bundles. */
    packageDir: string;
  }
}

const root = path.resolve(import.meta.dirname, '..', '..');

/**
 * `serverless package`, offline, with no AWS account. It runs before serverless-offline starts
 * because both build in the project's .esbuild folder.
 */
async function packageService(): Promise<string> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'fireflow-package-'));
  // Chunks of an earlier build would otherwise be zipped with the new ones.
  await rm(path.join(root, '.esbuild'), { recursive: true, force: true });
  const serverlessBin = createRequire(import.meta.url).resolve('serverless/bin/serverless.js');
  await promisify(execFile)(process.execPath, [serverlessBin, 'package', '--stage', 'dev', '--package', outDir], {
    cwd: root,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
  });
  return outDir;
}

/**
 * The whole suite shares one real stack: its own embedded PostgreSQL on a free port (or
 * DATABASE_URL when given), migrated, and serverless-offline running the real handlers.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // What would make a first run fail obscurely (a checkout it cannot write, PostgreSQL that cannot
  // reach its programs) stops the suite with one line that says what to do.
  await assertWritable(path.join(root, '.esbuild'), 'the suite builds the functions').catch(exitOnLocalStackProblem);
  const postgres = process.env.DATABASE_URL ? undefined : await startLocalPostgres({ fast: true }).catch(exitOnLocalStackProblem);
  const databaseUrl = process.env.DATABASE_URL ?? postgres?.url ?? '';
  const packageDir = await packageService();
  try {
    await migrate(databaseUrl);
    const offline = await startOffline({
      databaseUrl,
      httpPort: await freePort(),
      lambdaPort: await freePort(),
      stdio: 'ignore',
      env: { LOG_LEVEL: 'error' },
    });
    // One worker for the executions the Lambdas enqueue.
    const worker = startWorkerProcess({
      databaseUrl,
      // One flow secret, read from the environment as on the local stack (test/secrets.test.ts).
      env: { WORKER_ID: 'test-suite-worker', WORKER_HEALTH_PORT: '0', LAMBDA_ENDPOINT: offline.lambdaEndpoint, FIREFLOW_SECRET_TEST_TOKEN: TEST_SECRET_VALUE },
    });
    await worker.ready;
    // The same handlers behind the JWT authorizer (test/authorizer.test.ts). Started after the
    // first, as both build the bundles in the same folder.
    const jwtOffline = await startOffline({
      databaseUrl,
      httpPort: await freePort(),
      lambdaPort: await freePort(),
      stdio: 'ignore',
      env: { LOG_LEVEL: 'error' },
      authorizer: { jwt: TEST_JWT },
    });
    project.provide('jwtHttpUrl', jwtOffline.httpUrl);
    project.provide('databaseUrl', databaseUrl);
    project.provide('httpUrl', offline.httpUrl);
    project.provide('lambdaEndpoint', offline.lambdaEndpoint);
    project.provide('packageDir', packageDir);
    return async () => {
      await worker.stop();
      await jwtOffline.stop();
      await offline.stop();
      await postgres?.stop();
      await rm(packageDir, { recursive: true, force: true });
    };
  } catch (error) {
    await postgres?.stop();
    await rm(packageDir, { recursive: true, force: true });
    throw error;
  }
}
