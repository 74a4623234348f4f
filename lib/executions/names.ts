/** Names shared by the worker and everything that enqueues for it (Lambdas, the client). */
export const DBOS_APPLICATION_NAME = 'fireflow';
export const EXECUTION_QUEUE_NAME = 'fireflow-executions';
export const EXECUTION_WORKFLOW_NAME = 'executeFireFlow';

/** The DBOS message topic that carries signals named `name`. */
export const signalTopic = (name: string): string => `signal:${name}`;

/**
 * The DBOS workflow that runs an execution now: its first run has the execution's own ID, the
 * n-th redrive `<executionId>:redrive:<n>` (a workflow runs once; a redrive is a run of its own).
 */
export const workflowIdOf = (execution: { executionId: string; redriveCount: number }): string =>
  execution.redriveCount === 0 ? execution.executionId : `${execution.executionId}:redrive:${execution.redriveCount}`;

/** Every DBOS workflow an execution has run as: its first run and each of its redrives. */
export const workflowIdsOf = (execution: { executionId: string; redriveCount: number }): string[] =>
  Array.from({ length: execution.redriveCount + 1 }, (_, run) => workflowIdOf({ executionId: execution.executionId, redriveCount: run }));
