import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { secretPassword } from './databaseSecret.js';
import { logger } from './logger.js';

export type Pool = pg.Pool;

/**
 * What FireFlow's stores need of a database: one statement at a time. A pool is one; so is the
 * worker's retrying wrapper below, which therefore has nothing (like `connect()`) to bypass it.
 */
export interface Queryable {
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
}

export interface PoolOptions {
  connectionString: string;
  max: number;
  /** Completes a connection string that carries no password (see `connectionSettings`). */
  databaseSecretArn?: string | undefined;
}

/**
 * How pg connects to `connectionString`, named `applicationName` unless the string names itself.
 * A string without a password gets the one of the secret `databaseSecretArn`, when given
 * (Lambdas; see lib/databaseSecret.ts); otherwise pg's own rules apply (PGPASSWORD, which the
 * worker's task definition fills from the same secret).
 */
export function connectionSettings(connectionString: string, applicationName: string, databaseSecretArn: string | undefined): pg.ClientConfig {
  const asGiven = { application_name: applicationName, connectionString };
  if (!databaseSecretArn) return asGiven;
  const settings = parseIntoClientConfig(connectionString);
  return settings.password ? asGiven : { application_name: applicationName, ...settings, password: () => secretPassword(databaseSecretArn) };
}

/** A connection pool that logs (instead of crashing on) errors of idle connections. */
export function createPool({ connectionString, max, databaseSecretArn }: PoolOptions): Pool {
  const pool = new pg.Pool({
    ...connectionSettings(connectionString, 'fireflow', databaseSecretArn),
    max,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (error) => logger.warn('idle database connection failed', { error }));
  return pool;
}

/** `url` with its password, if any, masked: what may be printed or logged. */
export function maskedDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(a connection string that is not a URL)';
  }
}

export function requireDatabaseUrl(url: string | undefined): string {
  if (!url) throw new Error('DATABASE_URL is not set: FireFlow needs a PostgreSQL connection string');
  return url;
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
 * `database`'s statements, retrying transient failures (the database restarting, a failover)
 * with backoff for up to `maxMs`. Only for idempotent statements: a statement may have committed
 * just before its connection broke.
 */
export function retryingTransientErrors(database: Queryable, maxMs: number): Queryable {
  return {
    async query(text, values) {
      const deadline = Date.now() + maxMs;
      for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
        try {
          return await database.query(text, values);
        } catch (error) {
          if (!isTransientDbError(error) || Date.now() + delay > deadline) throw error;
          logger.warn('database unavailable; retrying', { error, retryInMs: delay });
          await sleep(delay);
        }
      }
    },
  };
}

/** True when the database answers a trivial query within `timeoutMs`. */
export async function databaseAnswers(pool: Queryable, timeoutMs = 2_000): Promise<boolean> {
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

/**
 * `\u0000` and an unpaired surrogate's `\udXXX` as JSON.stringify writes them (it writes a paired
 * one as it is), not preceded by an escaped backslash: text jsonb cannot hold.
 */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

/**
 * `value` as JSON text that a jsonb column accepts: the NUL character and unpaired surrogates,
 * which PostgreSQL cannot store, become U+FFFD. Values computed at run time (an HTTP answer, a
 * function's result, an error message quoting either) may hold them; a request never does, as
 * requests holding them are refused.
 */
export function storableJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSTORABLE_ESCAPE, '$1\\ufffd');
}
