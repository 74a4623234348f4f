import { randomUUID } from 'node:crypto';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { inject } from 'vitest';
import type { Pool } from '../../lib/db.js';
import { PostgresExecutionStore } from '../../lib/executions/PostgresExecutionStore.js';
import { ExecutionService, type ExecutionServiceOptions, type RunOptions } from '../../lib/executions/run/ExecutionService.js';
import type { ExecutionEvent, ExecutionRecord } from '../../lib/executions/types.js';
import { FlowCatalog } from '../../lib/flows/FlowCatalog.js';
import type { NodeRegistry } from '../../lib/flows/nodes/registry.js';
import { PostgresFlowStore } from '../../lib/flows/PostgresFlowStore.js';
import { guardedHttpClient } from '../../lib/http/client.js';
import { PostgresFlowLockService } from '../../lib/locks/PostgresFlowLockService.js';
import { LOCAL_NETWORKS } from '../../devtools/processes.js';
import { databaseUrl, testPool } from './stack.js';

export type RunnerOptions = Partial<Omit<ExecutionServiceOptions, 'flows' | 'store'>> & {
  /** Node types of its flows (saved with the runner's own catalog). Default: the built-in ones. */
  registry?: NodeRegistry;
};

/** An in-process run side and the catalog its flows are saved with. */
export interface Runner {
  flows: FlowCatalog;
  service: ExecutionService;
  /** Saves `definition` under a fresh flow id, creates an execution with `input` and runs it to its end. */
  runDefinition(definition: unknown, input?: unknown, options?: RunOptions): Promise<{ execution: ExecutionRecord; events: ExecutionEvent[] }>;
}

/** Everything a flow runs on, all real: PostgreSQL, the lock service, Lambda via serverless-offline. */
export interface FlowKit extends Runner {
  pool: Pool;
  locks: PostgresFlowLockService;
  store: PostgresExecutionStore;
  lambda: LambdaClient;
  runner(options?: RunnerOptions): Runner;
  /**
   * Creates an execution of the flow's newest version without enqueuing it: the suite's worker
   * never sees it, and the test runs it in-process.
   */
  create(flowId: string, request?: { input?: unknown; idempotencyKey?: string }): Promise<{ execution: ExecutionRecord; created: boolean }>;
  close(): Promise<void>;
}

export function uniqueFlowId(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** This test stack's composition root: one pool, the lock service, the stores, a Lambda client. */
export function flowKit(): FlowKit {
  const pool = testPool(8);
  const locks = new PostgresFlowLockService({ pool, listenConnectionString: databaseUrl() });
  const flowStore = new PostgresFlowStore(pool);
  const store = new PostgresExecutionStore(pool);
  const lambda = new LambdaClient({
    endpoint: inject('lambdaEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // The test servers are local: loopback is allowed, as on the local stack.
  const loopbackHttp = guardedHttpClient(LOCAL_NETWORKS);
  const create: FlowKit['create'] = (flowId, request = {}) =>
    store.create({
      executionId: randomUUID(),
      flowId,
      input: request.input ?? null,
      ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
    });
  const runner = ({ registry, ...overrides }: RunnerOptions = {}): Runner => {
    const flows = new FlowCatalog(flowStore, registry);
    const service = new ExecutionService({ flows, store, flowLock: locks, lambda, http: loopbackHttp, ...overrides });
    return {
      flows,
      service,
      async runDefinition(definition, input = null, options = {}) {
        const flowId = uniqueFlowId('flow');
        await flows.save(flowId, definition);
        const { execution } = await create(flowId, { input });
        const ended = await service.run(execution.executionId, options);
        return { execution: ended, events: await store.listEvents(execution.executionId, -1, 10_000) };
      },
    };
  };
  return {
    ...runner(),
    pool,
    locks,
    store,
    lambda,
    runner,
    create,
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
