import { expect, it } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { ValidationError } from '../lib/errors.js';

it('applies the documented defaults, with the Lambda ones inside Lambda', () => {
  expect(loadConfig({})).toMatchObject({ dbPoolMax: 10, lockListenerIdleMs: 5000, lockPollIntervalMs: 500, logLevel: 'info', stage: 'dev', appVersion: 'fireflow-1', queueConcurrency: 100, workerConcurrency: 20, workerHealthPort: 8080, inLambda: false });
  expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'fireflow-dev-acquireLock' })).toMatchObject({ dbPoolMax: 1, lockListenerIdleMs: 0, inLambda: true });
});

it('reads set values, treats empty ones as unset, and listens where DATABASE_URL points unless told otherwise', () => {
  const url = 'postgres://app@db:5432/app';
  expect(loadConfig({ DATABASE_URL: url, DB_POOL_MAX: ' 4 ', LOG_LEVEL: 'warn', STAGE: '', LAMBDA_ENDPOINT: 'http://127.0.0.1:3002' })).toMatchObject({
    databaseUrl: url,
    lockListenUrl: url,
    dbPoolMax: 4,
    logLevel: 'warn',
    stage: 'dev',
    lambdaEndpoint: 'http://127.0.0.1:3002',
  });
  expect(loadConfig({ DATABASE_URL: url, LOCK_LISTEN_URL: 'postgres://app@writer:5432/app' }).lockListenUrl).toBe('postgres://app@writer:5432/app');
});

it('names every bad variable at once', () => {
  const failure = (() => {
    try {
      loadConfig({ DB_POOL_MAX: '0', QUEUE_POLL_MS: '2.5', WORKER_HEALTH_PORT: 'eighty', HTTP_PORT: '70000', LOG_LEVEL: 'loud', LAMBDA_ENDPOINT: 'not a url' });
      return undefined;
    } catch (error) {
      return error;
    }
  })();
  expect(failure).toBeInstanceOf(ValidationError);
  expect((failure as ValidationError).details).toEqual([
    { field: 'env.DB_POOL_MAX', message: 'must be at least 1' },
    { field: 'env.LOG_LEVEL', message: 'must be one of debug, info, warn, error' },
    { field: 'env.LAMBDA_ENDPOINT', message: 'must be a URL' },
    { field: 'env.QUEUE_POLL_MS', message: 'must be a whole number' },
    { field: 'env.WORKER_HEALTH_PORT', message: 'must be a whole number' },
    { field: 'env.HTTP_PORT', message: 'must be at most 65535' },
  ]);
});
