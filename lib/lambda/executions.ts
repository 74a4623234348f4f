import { config } from '../config.js';
import { requireDatabaseUrl } from '../db.js';
import { ExecutionControl } from '../executions/control/ExecutionControl.js';
import { ExecutionJanitor } from '../executions/control/ExecutionJanitor.js';
import { ExecutionQueue } from '../executions/control/ExecutionQueue.js';
import { PostgresExecutionRetention, PostgresExecutionStore } from '../executions/PostgresExecutionStore.js';
import { FlowCatalog } from '../flows/FlowCatalog.js';
import { PostgresFlowStore } from '../flows/PostgresFlowStore.js';
import { lambdaPool } from './services.js';

// The execution functions' part of the composition root, apart from ./services.ts so that the
// lock functions never load the DBOS SDK.

/** `build`, run once per warm Lambda; again at the next call if it failed. */
function builtOnce<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}

/** The Lambda's DBOSClient, on a pool of one connection. */
const lambdaQueue = builtOnce(() => {
  const settings = config();
  return ExecutionQueue.create({
    databaseUrl: requireDatabaseUrl(settings.databaseUrl),
    appVersion: settings.appVersion,
    poolSize: 1,
    databaseSecretArn: settings.databaseSecretArn,
  });
});

/** The control side of flows and executions, on the Lambda's pool and its DBOSClient. */
export const lambdaExecutions = builtOnce(async () => {
  const database = lambdaPool();
  return new ExecutionControl(new FlowCatalog(new PostgresFlowStore(database)), new PostgresExecutionStore(database), await lambdaQueue());
});

/** The execution janitor (EXECUTION_RETENTION_DAYS), on the Lambda's pool and its DBOSClient. */
export const lambdaExecutionJanitor = builtOnce(
  async () => new ExecutionJanitor(new PostgresExecutionRetention(lambdaPool()), await lambdaQueue(), config().executionRetentionDays),
);
