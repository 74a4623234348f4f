import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { config } from './config.js';
import { secretPassword } from './databaseSecret.js';
import { logger } from './logger.js';

export type Pool = pg.Pool;

export interface PoolOptions {
  connectionString: string;
  max: number;
}

/**
 * How pg connects to `connectionString`, named `applicationName` unless the string names itself.
 * A string without a password gets DATABASE_SECRET_ARN's, when that is set (Lambdas; see
 * lib/databaseSecret.ts); otherwise pg's own rules apply (PGPASSWORD, which the worker's task
 * definition fills from the same secret).
 */
export function connectionSettings(connectionString: string, applicationName: string): pg.ClientConfig {
  const { databaseSecretArn } = config();
  const asGiven = { application_name: applicationName, connectionString };
  if (!databaseSecretArn) return asGiven;
  const settings = parseIntoClientConfig(connectionString);
  return settings.password ? asGiven : { application_name: applicationName, ...settings, password: () => secretPassword(databaseSecretArn) };
}

/** A connection pool that logs (instead of crashing on) errors of idle connections. */
export function createPool({ connectionString, max }: PoolOptions): Pool {
  const pool = new pg.Pool({
    ...connectionSettings(connectionString, 'fireflow'),
    max,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (error) => logger.warn('idle database connection failed', { error }));
  return pool;
}

export function requireDatabaseUrl(url: string | undefined = config().databaseUrl): string {
  if (!url) throw new Error('DATABASE_URL is not set: FireFlow needs a PostgreSQL connection string');
  return url;
}

let processPool: Pool | undefined;

/** The one pool of this process (a warm Lambda or a worker), created on first use. */
export function sharedPool(): Pool {
  processPool ??= createPool({ connectionString: requireDatabaseUrl(), max: config().dbPoolMax });
  return processPool;
}

const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
const TRANSIENT_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);
const TRANSIENT_MESSAGE = /Connection terminated|not queryable|timeout exceeded when trying to connect/i;

/** A failure that says the database was away, not that the statement was wrong. */
export function isTransientDbError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_ERRNOS.has(code))) || TRANSIENT_MESSAGE.test(error.message);
}

/**
 * The same pool, whose `query` retries transient failures (the database restarting, a failover)
 * with backoff for up to `maxMs`. Only for idempotent statements: a statement may have committed
 * just before its connection broke.
 */
export function retryingTransientErrors(pool: Pool, maxMs: number): Pool {
  const query = async (...args: unknown[]) => {
    const deadline = Date.now() + maxMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await (pool.query as (...queryArgs: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        if (!isTransientDbError(error) || Date.now() + delay > deadline) throw error;
        logger.warn('database unavailable; retrying', { error, retryInMs: delay });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
  return new Proxy(pool, { get: (target, property, receiver) => (property === 'query' ? query : Reflect.get(target, property, receiver)) });
}

/** True when the database answers a trivial query within `timeoutMs`. */
export async function databaseAnswers(pool: Pool, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = pool.query('SELECT 1').then(
    () => true,
    (error: unknown) => {
      logger.warn('database health probe failed', { error });
      return false;
    },
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
