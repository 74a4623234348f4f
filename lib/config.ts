import * as z from 'zod/mini';
import { parseInput } from './validation.js';

/**
 * Every setting FireFlow reads from the environment, with its default. This is the only place
 * that reads process.env; the README's configuration table mirrors it.
 */
export interface FireflowConfig {
  /** PostgreSQL connection string (DATABASE_URL). Required by anything that talks to the database. */
  databaseUrl: string | undefined;
  /**
   * Secrets Manager secret (RDS's JSON format) whose `password` completes connection strings that
   * carry none (DATABASE_SECRET_ARN): how Lambdas get the password. Default none.
   */
  databaseSecretArn: string | undefined;
  /** Pool size per process (DB_POOL_MAX). Default 1 in Lambda (the lock listener is the second connection), 10 elsewhere. */
  dbPoolMax: number;
  /** Where lock waiters LISTEN (LOCK_LISTEN_URL). Default DATABASE_URL; point it past RDS Proxy, see README. */
  lockListenUrl: string | undefined;
  /** Longest a lock waiter sleeps between attempts when no notification arrives (LOCK_POLL_INTERVAL_MS). Default 500. */
  lockPollIntervalMs: number;
  /** How long the listener connection stays open without waiters (LOCK_LISTENER_IDLE_MS). Default 0 in Lambda, 5000 elsewhere. */
  lockListenerIdleMs: number;
  /** How long a free or expired lock row is kept before the sweeper deletes it (LOCK_SWEEP_GRACE_MS). Default 600000. */
  lockSweepGraceMs: number;
  /** Lowest log level written (LOG_LEVEL: debug, info, warn, error). Default info. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Deployment stage (STAGE). Default dev. */
  stage: string;
  /** Endpoint for LambdaInvokeNode's client (LAMBDA_ENDPOINT), e.g. the local invoke endpoint. Default: AWS. */
  lambdaEndpoint: string | undefined;
  /** Worker: global limit of executions running at once, across all workers (QUEUE_CONCURRENCY). Default 100. */
  queueConcurrency: number;
  /** Worker: limit of executions running at once in one worker process (WORKER_CONCURRENCY). Default 20. */
  workerConcurrency: number;
  /** Worker: its DBOS executor ID (WORKER_ID). Default: the ECS task ID, else host-pid. */
  workerId: string | undefined;
  /** The release's application version, pinned so its workers recover each other's work (APP_VERSION). Default fireflow-1. */
  appVersion: string;
  /** Worker: how often it beats and looks for dead workers (WORKER_HEARTBEAT_MS). Default 5000. */
  workerHeartbeatMs: number;
  /** Worker: a worker silent this long is dead and its executions are resumed elsewhere (WORKER_DEAD_AFTER_MS). Default 20000. */
  workerDeadAfterMs: number;
  /** Worker: how long stop() lets running executions finish before handing them back (WORKER_STOP_TIMEOUT_MS). Default 100000 (ECS allows 120 s). */
  workerStopTimeoutMs: number;
  /** Worker: the queue's dispatch polling interval (QUEUE_POLL_MS). Default 20. */
  queuePollMs: number;
  /** Worker: port of its /health and /ready endpoints (WORKER_HEALTH_PORT). Default 8080; 0 turns them off. */
  workerHealthPort: number;
  /** Worker: how long its own statements wait out a database outage (WORKER_DB_RETRY_MS). Default 300000. */
  workerDbRetryMs: number;
  /** Worker: timeout of executions whose flow sets none (EXECUTION_TIMEOUT_MS). Default 86400000. */
  executionTimeoutMs: number;
  /** Local stack: port of the HTTP API (HTTP_PORT). Default 3000. */
  httpPort: number;
  /** Local stack: port of the Lambda invoke endpoint (LAMBDA_PORT). Default 3002. */
  lambdaPort: number;
  /** True inside AWS Lambda (AWS_LAMBDA_FUNCTION_NAME is set). */
  inLambda: boolean;
}

const integerSetting = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().check(
    z.multipleOf(1, { error: 'must be a whole number' }),
    z.minimum(min, { error: `must be at least ${min}` }),
    z.maximum(max, { error: `must be at most ${max}` }),
  );
const text = z.string().check(z.minLength(1));

export function loadConfig(env: NodeJS.ProcessEnv = process.env): FireflowConfig {
  const inLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
  const raw = parseInput(
    z.object({
      DATABASE_URL: z.optional(text),
      DATABASE_SECRET_ARN: z.optional(text),
      DB_POOL_MAX: z._default(integerSetting(1), inLambda ? 1 : 10),
      LOCK_LISTEN_URL: z.optional(text),
      LOCK_POLL_INTERVAL_MS: z._default(integerSetting(10), 500),
      LOCK_LISTENER_IDLE_MS: z._default(integerSetting(0), inLambda ? 0 : 5000),
      LOCK_SWEEP_GRACE_MS: z._default(integerSetting(1000, 2 ** 31 - 1), 600_000),
      LOG_LEVEL: z._default(z.enum(['debug', 'info', 'warn', 'error']), 'info'),
      STAGE: z._default(text, 'dev'),
      LAMBDA_ENDPOINT: z.optional(z.url({ error: 'must be a URL' })),
      QUEUE_CONCURRENCY: z._default(integerSetting(1), 100),
      WORKER_CONCURRENCY: z._default(integerSetting(1), 20),
      WORKER_ID: z.optional(text),
      APP_VERSION: z._default(text, 'fireflow-1'),
      WORKER_HEARTBEAT_MS: z._default(integerSetting(100), 5000),
      WORKER_DEAD_AFTER_MS: z._default(integerSetting(500), 20_000),
      WORKER_STOP_TIMEOUT_MS: z._default(integerSetting(0), 100_000),
      QUEUE_POLL_MS: z._default(integerSetting(5), 20),
      WORKER_HEALTH_PORT: z._default(integerSetting(0, 65535), 8080),
      EXECUTION_TIMEOUT_MS: z._default(integerSetting(1000), 86_400_000),
      WORKER_DB_RETRY_MS: z._default(integerSetting(0), 300_000),
      HTTP_PORT: z._default(integerSetting(1, 65535), 3000),
      LAMBDA_PORT: z._default(integerSetting(1, 65535), 3002),
    }),
    Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')),
    'env',
  );
  return {
    databaseUrl: raw.DATABASE_URL,
    databaseSecretArn: raw.DATABASE_SECRET_ARN,
    dbPoolMax: raw.DB_POOL_MAX,
    lockListenUrl: raw.LOCK_LISTEN_URL ?? raw.DATABASE_URL,
    lockPollIntervalMs: raw.LOCK_POLL_INTERVAL_MS,
    lockListenerIdleMs: raw.LOCK_LISTENER_IDLE_MS,
    lockSweepGraceMs: raw.LOCK_SWEEP_GRACE_MS,
    logLevel: raw.LOG_LEVEL,
    stage: raw.STAGE,
    lambdaEndpoint: raw.LAMBDA_ENDPOINT,
    queueConcurrency: raw.QUEUE_CONCURRENCY,
    workerConcurrency: raw.WORKER_CONCURRENCY,
    workerId: raw.WORKER_ID,
    appVersion: raw.APP_VERSION,
    workerHeartbeatMs: raw.WORKER_HEARTBEAT_MS,
    workerDeadAfterMs: raw.WORKER_DEAD_AFTER_MS,
    workerStopTimeoutMs: raw.WORKER_STOP_TIMEOUT_MS,
    queuePollMs: raw.QUEUE_POLL_MS,
    workerHealthPort: raw.WORKER_HEALTH_PORT,
    executionTimeoutMs: raw.EXECUTION_TIMEOUT_MS,
    workerDbRetryMs: raw.WORKER_DB_RETRY_MS,
    httpPort: raw.HTTP_PORT,
    lambdaPort: raw.LAMBDA_PORT,
    inLambda,
  };
}

let cached: FireflowConfig | undefined;

/** The process-wide configuration, read once. */
export function config(): FireflowConfig {
  cached ??= loadConfig();
  return cached;
}
