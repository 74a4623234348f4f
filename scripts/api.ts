import { config } from '../lib/config.js';
import { requireDatabaseUrl } from '../lib/db.js';
import { logger } from '../lib/logger.js';
import { startOffline } from '../devtools/offline.js';
import { onShutdown } from '../lib/shutdown.js';

const settings = config();
const offline = await startOffline({
  databaseUrl: requireDatabaseUrl(settings.databaseUrl),
  httpPort: settings.httpPort,
  lambdaPort: settings.lambdaPort,
});
logger.info('serverless-offline is up', { httpApi: offline.httpUrl, invokeEndpoint: offline.lambdaEndpoint });
onShutdown(() => offline.stop());
