import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { logger } from './logger.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/** Applies every pending migration of the app schema. Safe to run concurrently (advisory lock). */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'fireflow_migrations',
    log: (message) => logger.debug(message, { component: 'migrate' }),
  });
  return applied.map((migration) => migration.name);
}
