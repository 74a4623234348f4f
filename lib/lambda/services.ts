import { config } from '../config.js';
import { createPool, requireDatabaseUrl, type Pool } from '../db.js';
import { PostgresFlowLockService } from '../locks/PostgresFlowLockService.js';

// The composition root of the Lambda functions (with ./executions.ts): what their handlers run
// on, built once per warm Lambda from the configuration and handed to lib/ explicitly, so that
// nothing below it builds a shared piece of its own.

let pool: Pool | undefined;
let locks: PostgresFlowLockService | undefined;

/** The Lambda's one pool (DB_POOL_MAX connections: 1 by default). */
export function lambdaPool(): Pool {
  const settings = config();
  pool ??= createPool({ connectionString: requireDatabaseUrl(settings.databaseUrl), max: settings.dbPoolMax, databaseSecretArn: settings.databaseSecretArn });
  return pool;
}

/** The lock service, on the Lambda's pool (its waiters listen on a connection of their own). */
export function lambdaLocks(): PostgresFlowLockService {
  locks ??= new PostgresFlowLockService({ pool: lambdaPool() });
  return locks;
}
