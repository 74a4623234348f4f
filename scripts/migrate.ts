import { requireDatabaseUrl } from '../lib/db.js';
import { logger } from '../lib/logger.js';
import { migrate } from '../lib/migrate.js';

const applied = await migrate(requireDatabaseUrl());
logger.info('migrations applied', { applied });
