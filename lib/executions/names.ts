/** Names shared by the worker and everything that enqueues for it (Lambdas, the client). */
export const DBOS_APPLICATION_NAME = 'fireflow';
export const EXECUTION_QUEUE_NAME = 'fireflow-executions';
export const EXECUTION_WORKFLOW_NAME = 'executeFireFlow';
