import { startAnswer } from '../lib/executions/control/ExecutionControl.js';
import { INVOKE_WAIT_MAX_MS } from '../lib/executions/control/limits.js';
import { cancelExecutionSchema, executionEventsSchema, executionRefSchema, redriveExecutionSchema, sendSignalSchema, startExecutionSchema, sweepExecutionsSchema } from '../lib/executions/control/schemas.js';
import { lambdaExecutionJanitor, lambdaExecutions } from '../lib/lambda/executions.js';
import { invokeHandler } from '../lib/lambda/handlers.js';
import { builtAtFirstUse, parseInput } from '../lib/validation.js';

const startOverInvoke = builtAtFirstUse(() => startExecutionSchema(INVOKE_WAIT_MAX_MS));
const redriveOverInvoke = builtAtFirstUse(() => redriveExecutionSchema(INVOKE_WAIT_MAX_MS));
const eventsOverInvoke = builtAtFirstUse(() => executionEventsSchema(INVOKE_WAIT_MAX_MS));

/** startExecution: {flowId, input?, idempotencyKey?, waitMs?} → {executionId, status, output?, error?} */
export const startExecution = invokeHandler(async (payload) => {
  const command = parseInput(startOverInvoke(), payload);
  const { execution } = await (await lambdaExecutions()).start(command);
  return startAnswer(execution);
});

/** getExecution: {executionId} → execution record */
export const getExecution = invokeHandler(async (payload) => {
  const { executionId } = parseInput(executionRefSchema(), payload);
  return (await lambdaExecutions()).get(executionId);
});

/** cancelExecution: {executionId, reason?} → execution record */
export const cancelExecution = invokeHandler(async (payload) => {
  const { executionId, reason } = parseInput(cancelExecutionSchema(), payload);
  return (await lambdaExecutions()).cancel(executionId, reason);
});

/** redriveExecution: {executionId, waitMs?} → execution record (once ended, if it ended within waitMs) */
export const redriveExecution = invokeHandler(async (payload) => {
  const { executionId, waitMs } = parseInput(redriveOverInvoke(), payload);
  return (await lambdaExecutions()).redrive(executionId, waitMs);
});

/** sendSignal: {executionId, signal, payload?, signalId?} → {accepted: true} */
export const sendSignal = invokeHandler(async (payload) => {
  const { executionId, signal, ...request } = parseInput(sendSignalSchema(), payload);
  return (await lambdaExecutions()).sendSignal(executionId, signal, request);
});

/** getExecutionEvents: {executionId, after?, waitMs?} → {events, nextAfter, done} (as GET /executions/{id}/events) */
export const getExecutionEvents = invokeHandler(async (payload) => {
  const { executionId, after, waitMs } = parseInput(eventsOverInvoke(), payload);
  return (await lambdaExecutions()).events(executionId, after, waitMs);
});

/**
 * executionJanitor (scheduled, or invoked with {batchSize?, maxBatches?}): deletes root executions
 * that ended longer ago than EXECUTION_RETENTION_DAYS, with everything of theirs →
 * {deleted: {roots, executions, events}, batches, more}
 */
export const executionJanitor = invokeHandler(async (payload) => {
  const limits = parseInput(sweepExecutionsSchema(), payload);
  return (await lambdaExecutionJanitor()).sweep(limits);
});
