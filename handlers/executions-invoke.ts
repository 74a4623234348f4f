import { sharedExecutionApi, startAnswer } from '../lib/executions/ExecutionApi.js';
import { cancelExecutionSchema, executionRefSchema, INVOKE_WAIT_MAX_MS, startExecutionSchema } from '../lib/executions/schemas.js';
import { invokeHandler } from '../lib/lambda/handlers.js';
import { parseInput } from '../lib/validation.js';

const startOverInvoke = startExecutionSchema(INVOKE_WAIT_MAX_MS);

/** startExecution: {flowId, input?, idempotencyKey?, waitMs?} → {executionId, status, output?, error?} */
export const startExecution = invokeHandler(async (payload) => {
  const command = parseInput(startOverInvoke, payload);
  const { execution } = await (await sharedExecutionApi()).start(command);
  return startAnswer(execution);
});

/** getExecution: {executionId} → execution record */
export const getExecution = invokeHandler(async (payload) => {
  const { executionId } = parseInput(executionRefSchema, payload);
  return (await sharedExecutionApi()).get(executionId);
});

/** cancelExecution: {executionId, reason?} → execution record */
export const cancelExecution = invokeHandler(async (payload) => {
  const { executionId, reason } = parseInput(cancelExecutionSchema, payload);
  return (await sharedExecutionApi()).cancel(executionId, reason);
});
