import pg from 'pg';
import { config } from './config.js';
import { logger } from './logger.js';

export type Pool = pg.Pool;

export interface PoolOptions {
  connectionString: string;
  max: number;
}

/** A connection pool that logs (instead of crashing on) errors of idle connections. */
export function createPool({ connectionString, max }: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'fireflow',
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
