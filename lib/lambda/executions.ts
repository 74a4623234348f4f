import { config } from '../config.js';
import { requireDatabaseUrl } from '../db.js';
import { ExecutionControl } from '../executions/control/ExecutionControl.js';
import { ExecutionQueue } from '../executions/control/ExecutionQueue.js';
import { PostgresExecutionStore } from '../executions/PostgresExecutionStore.js';
import { FlowCatalog } from '../flows/FlowCatalog.js';
import { PostgresFlowStore } from '../flows/PostgresFlowStore.js';
import { lambdaPool } from './services.js';

// The execution functions' part of the composition root, apart from ./services.ts so that the
// lock functions never load the DBOS SDK.

let executions: Promise<ExecutionControl> | undefined;

/** The control side of flows and executions, on the Lambda's pool and a DBOSClient of one connection. */
export function lambdaExecutions(): Promise<ExecutionControl> {
  executions ??= buildExecutions().catch((error: unknown) => {
    executions = undefined;
    throw error;
  });
  return executions;
}

async function buildExecutions(): Promise<ExecutionControl> {
  const settings = config();
  const queue = await ExecutionQueue.create({
    databaseUrl: requireDatabaseUrl(settings.databaseUrl),
    appVersion: settings.appVersion,
    poolSize: 1,
    databaseSecretArn: settings.databaseSecretArn,
  });
  const database = lambdaPool();
  return new ExecutionControl(new FlowCatalog(new PostgresFlowStore(database)), new PostgresExecutionStore(database), queue);
}
