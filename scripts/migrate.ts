import { config } from '../lib/config.js';
import { requireDatabaseUrl } from '../lib/db.js';
import { logger } from '../lib/logger.js';
import { migrate } from '../lib/migrate.js';

// `npm run migrate` (and the image's dist/migrate.mjs): one JSON line either way, exit code 1 on failure.
try {
  const applied = await migrate(requireDatabaseUrl(config().databaseUrl));
  logger.info('migrations applied', { applied });
} catch (error) {
  logger.error('migrations failed', { error });
  process.exitCode = 1;
}
