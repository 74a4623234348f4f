import { fileURLToPath } from 'node:url';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { runner } from 'node-pg-migrate';
import { logger } from './logger.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Applies every pending migration: the app schema, then DBOS's system schema (`dbos`), so that
 * neither Lambdas nor workers ever need DDL rights. Run it with a privileged role.
 */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'fireflow_migrations',
    log: (message) => logger.debug(message, { component: 'migrate' }),
  });
  await DBOS.migrate(databaseUrl);
  return applied.map((migration) => migration.name);
}
