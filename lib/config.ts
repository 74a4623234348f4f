import * as z from 'zod/mini';
import { parseInput } from './validation.js';

/**
 * Every setting FireFlow reads from the environment, with its default. This is the only place
 * that reads process.env; the README's configuration table mirrors it.
 */
export interface FireflowConfig {
  /** PostgreSQL connection string (DATABASE_URL). Required by anything that talks to the database. */
  databaseUrl: string | undefined;
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
      DB_POOL_MAX: z._default(integerSetting(1), inLambda ? 1 : 10),
      LOCK_LISTEN_URL: z.optional(text),
      LOCK_POLL_INTERVAL_MS: z._default(integerSetting(10), 500),
      LOCK_LISTENER_IDLE_MS: z._default(integerSetting(0), inLambda ? 0 : 5000),
      LOCK_SWEEP_GRACE_MS: z._default(integerSetting(1000, 2 ** 31 - 1), 600_000),
      LOG_LEVEL: z._default(z.enum(['debug', 'info', 'warn', 'error']), 'info'),
      STAGE: z._default(text, 'dev'),
      LAMBDA_ENDPOINT: z.optional(z.url({ error: 'must be a URL' })),
      HTTP_PORT: z._default(integerSetting(1, 65535), 3000),
      LAMBDA_PORT: z._default(integerSetting(1, 65535), 3002),
    }),
    Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')),
    'env',
  );
  return {
    databaseUrl: raw.DATABASE_URL,
    dbPoolMax: raw.DB_POOL_MAX,
    lockListenUrl: raw.LOCK_LISTEN_URL ?? raw.DATABASE_URL,
    lockPollIntervalMs: raw.LOCK_POLL_INTERVAL_MS,
    lockListenerIdleMs: raw.LOCK_LISTENER_IDLE_MS,
    lockSweepGraceMs: raw.LOCK_SWEEP_GRACE_MS,
    logLevel: raw.LOG_LEVEL,
    stage: raw.STAGE,
    lambdaEndpoint: raw.LAMBDA_ENDPOINT,
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
