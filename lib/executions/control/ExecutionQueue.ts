import { DBOSClient, Error as DBOSErrors } from '@dbos-inc/dbos-sdk';
import { ConflictError } from '../../errors.js';
import { createPool, type Pool } from '../../db.js';
import type { SignalMessage } from '../../flows/nodes/types.js';
import { DBOS_APPLICATION_NAME, EXECUTION_QUEUE_NAME, EXECUTION_WORKFLOW_NAME, signalTopic, workflowIdOf } from '../names.js';
import type { ExecutionRun } from '../types.js';

export interface ExecutionQueueOptions {
  databaseUrl: string;
  /** Executions go to the workers of this application version: DBOS hands a workflow only to workers of its version. */
  appVersion: string;
  /** At most this many connections: 1 or 2 suits a Lambda. Default 2. */
  poolSize?: number;
  /** Completes a connection string without a password (Lambdas; see lib/db.ts). */
  databaseSecretArn?: string | undefined;
}

/**
 * Hands executions to the workers through a DBOSClient: what Lambdas use, since they never run
 * flows themselves. Each run of an execution is a workflow of its own ID, so enqueuing twice runs once.
 */
export class ExecutionQueue {
  private constructor(
    private readonly client: DBOSClient,
    private readonly pool: Pool,
    private readonly appVersion: string,
  ) {}

  /**
   * The client runs on a pool of FireFlow's own: it connects like every other FireFlow pool (the
   * password from the database secret in Lambdas) and carries no session settings, where DBOS's
   * own pool SETs an idle-transaction timeout on each connection, which would pin it to one
   * database connection behind RDS Proxy for good.
   */
  static async create({ databaseUrl, appVersion, poolSize = 2, databaseSecretArn }: ExecutionQueueOptions): Promise<ExecutionQueue> {
    const pool = createPool({ connectionString: databaseUrl, max: poolSize, databaseSecretArn });
    try {
      const client = await DBOSClient.create({ systemDatabaseUrl: databaseUrl, systemDatabasePool: pool, applicationName: DBOS_APPLICATION_NAME });
      return new ExecutionQueue(client, pool, appVersion);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  /** Queues the execution's current run (its first, or its latest redrive): queuing it again is harmless. */
  async enqueue(execution: ExecutionRun): Promise<void> {
    await this.client.enqueue(
      { queueName: EXECUTION_QUEUE_NAME, workflowName: EXECUTION_WORKFLOW_NAME, workflowID: workflowIdOf(execution), appVersion: this.appVersion },
      execution.executionId,
    );
  }

  /**
   * Cancels the execution's current run and its child executions' runs: dropped from the queue,
   * or stopped by their worker within about a second.
   */
  async cancel(execution: ExecutionRun): Promise<void> {
    await this.client.cancelWorkflow(workflowIdOf(execution), { cancelChildren: true });
  }

  /**
   * Sends a signal to the execution's current run, kept until a WaitForSignalNode of it takes it.
   * The same `signalId` to the same run is kept once. ConflictError while the run has no workflow
   * yet (a child its parent has not started).
   */
  async signal(execution: ExecutionRun, name: string, message: SignalMessage, signalId?: string): Promise<void> {
    try {
      await this.client.send(workflowIdOf(execution), message, signalTopic(name), signalId);
    } catch (error) {
      if (error instanceof DBOSErrors.DBOSNonExistentWorkflowError) throw new ConflictError(`execution ${execution.executionId} has not started yet: send the signal again`, { cause: error });
      throw error;
    }
  }

  /**
   * Deletes the DBOS history (status, inputs, outputs, steps, messages) of the workflows named.
   * Unknown ones are ignored. Each execution's runs are named explicitly, children included, so
   * DBOS's own walk through child workflows (a query per workflow) is not needed.
   */
  async deleteHistory(workflowIds: string[]): Promise<void> {
    await this.client.deleteWorkflows(workflowIds, false);
  }

  async close(): Promise<void> {
    await this.client.destroy();
    await this.pool.end();
  }
}
