import { LambdaClient } from '@aws-sdk/client-lambda';
import { inject } from 'vitest';
import type { Pool } from '../../lib/db.js';
import { ExecutionService, type ExecutionServiceOptions, type RunOptions } from '../../lib/executions/ExecutionService.js';
import { PostgresExecutionStore } from '../../lib/executions/PostgresExecutionStore.js';
import type { ExecutionEvent, ExecutionRecord } from '../../lib/executions/types.js';
import { PostgresFlowStore } from '../../lib/flows/PostgresFlowStore.js';
import { PostgresFlowLockService } from '../../lib/locks/PostgresFlowLockService.js';
import { databaseUrl, testPool } from './stack.js';

/** Everything a flow runs on, all real: PostgreSQL, the lock service, Lambda via serverless-offline. */
export interface FlowKit {
  pool: Pool;
  locks: PostgresFlowLockService;
  flows: PostgresFlowStore;
  store: PostgresExecutionStore;
  lambda: LambdaClient;
  service(overrides?: Partial<ExecutionServiceOptions>): ExecutionService;
  /** Saves `definition` under a fresh flow id, starts it with `input` and runs it to its end. */
  runDefinition(definition: unknown, input?: unknown, options?: RunOptions & { service?: ExecutionService }): Promise<{ execution: ExecutionRecord; events: ExecutionEvent[] }>;
  close(): Promise<void>;
}

export function uniqueFlowId(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}`;
}

export function flowKit(): FlowKit {
  const pool = testPool(8);
  const locks = new PostgresFlowLockService({ pool, listenConnectionString: databaseUrl() });
  const flows = new PostgresFlowStore(pool);
  const store = new PostgresExecutionStore(pool);
  const lambda = new LambdaClient({
    endpoint: inject('lambdaEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const service = (overrides: Partial<ExecutionServiceOptions> = {}) => new ExecutionService({ flows, store, flowLock: locks, lambda, ...overrides });
  const defaultService = service();
  return {
    pool,
    locks,
    flows,
    store,
    lambda,
    service,
    async runDefinition(definition, input = null, options = {}) {
      const runner = options.service ?? defaultService;
      const flowId = uniqueFlowId('flow');
      await runner.saveFlow(flowId, definition);
      const { execution } = await runner.start(flowId, { input });
      const ended = await runner.run(execution.executionId, options);
      return { execution: ended, events: await store.listEvents(execution.executionId, -1, 10_000) };
    },
    async close() {
      await locks.close();
      await pool.end();
      lambda.destroy();
    },
  };
}

/** `type nodeId` of each event, the shape determinism tests compare. */
export const eventTrail = (events: Array<{ type: string; nodeId?: string }>): string[] =>
  events.map((event) => (event.nodeId ? `${event.type} ${event.nodeId}` : event.type));
