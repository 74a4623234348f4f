import { DBOS } from '@dbos-inc/dbos-sdk';
import { EXECUTION_WORKFLOW_NAME } from '../executions/names.js';
import type { ExecutionRecord } from '../executions/types.js';

/** What the workflow answers: the record as its run left it, so that a parent waiting for it reads it from there. */
export type WorkflowResult = ExecutionRecord;

type RunExecution = (executionId: string) => Promise<WorkflowResult>;

// DBOS keeps one workflow registry and one launched runtime per process. So the workflow that
// runs executions is registered once per process, and it runs them on the one worker that has
// launched DBOS here: that worker binds itself at start and unbinds at stop.
let boundRun: RunExecution | undefined;
let registered: RunExecution | undefined;

/** The durable workflow `executeFireFlow`, registered on first use. */
export function executionWorkflow(): RunExecution {
  registered ??= DBOS.registerWorkflow(
    async (executionId: string): Promise<WorkflowResult> => {
      if (!boundRun) throw new Error(`${EXECUTION_WORKFLOW_NAME} ran without a started DBOSExecutionWorker`);
      return boundRun(executionId);
    },
    { name: EXECUTION_WORKFLOW_NAME },
  );
  return registered;
}

/** Makes `run` the body of the workflow in this process; answers how to undo it. */
export function bindExecutionWorkflow(run: RunExecution): () => void {
  if (boundRun) throw new Error('a DBOSExecutionWorker already runs in this process');
  executionWorkflow();
  boundRun = run;
  return () => {
    if (boundRun === run) boundRun = undefined;
  };
}
