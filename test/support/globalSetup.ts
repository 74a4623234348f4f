import type { TestProject } from 'vitest/node';
import { startOffline } from '../../devtools/offline.js';
import { freePort } from '../../devtools/ports.js';
import { startLocalPostgres } from '../../devtools/postgres.js';
import { migrate } from '../../lib/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    httpUrl: string;
    lambdaEndpoint: string;
  }
}

/**
 * The whole suite shares one real stack: its own embedded PostgreSQL on a free port (or
 * DATABASE_URL when given), migrated, and serverless-offline running the real handlers.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = process.env.DATABASE_URL ? undefined : await startLocalPostgres({ fast: true });
  const databaseUrl = process.env.DATABASE_URL ?? postgres?.url ?? '';
  try {
    await migrate(databaseUrl);
    const offline = await startOffline({
      databaseUrl,
      httpPort: await freePort(),
      lambdaPort: await freePort(),
      stdio: 'ignore',
      env: { LOG_LEVEL: 'error' },
    });
    project.provide('databaseUrl', databaseUrl);
    project.provide('httpUrl', offline.httpUrl);
    project.provide('lambdaEndpoint', offline.lambdaEndpoint);
    return async () => {
      await offline.stop();
      await postgres?.stop();
    };
  } catch (error) {
    await postgres?.stop();
    throw error;
  }
}
