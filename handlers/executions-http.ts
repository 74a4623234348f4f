import { isEnded } from '../lib/executions/control/ExecutionControl.js';
import {
  cancelExecutionSchema,
  childrenQuerySchema,
  eventsQuerySchema,
  executionIdSchema,
  flowRefSchema,
  listQuerySchema,
  redriveBodySchema,
  signalBodySchema,
  signalRefSchema,
  startBodySchema,
  waitQuerySchema,
} from '../lib/executions/control/schemas.js';
import { lambdaExecutions } from '../lib/lambda/executions.js';
import { httpHandler, objectBody } from '../lib/lambda/handlers.js';
import { parseInput } from '../lib/validation.js';

/** POST /flows/{flowId}/executions {input?, idempotencyKey?} ?waitMs → 202 {executionId, status} | 200 record */
export const startExecution = httpHandler(async ({ path, query, body }) => {
  const { flowId } = parseInput(flowRefSchema(), path);
  const { waitMs } = parseInput(waitQuerySchema(), query);
  const request = parseInput(startBodySchema(), objectBody(body));
  const { execution } = await (await lambdaExecutions()).start({ flowId, waitMs, ...request });
  return isEnded(execution) && waitMs > 0
    ? { body: execution }
    : { statusCode: 202, body: { executionId: execution.executionId, status: execution.status } };
});

/** GET /flows/{flowId}/executions ?limit&cursor → {items, nextCursor}, newest first */
export const listExecutions = httpHandler(async ({ path, query }) => {
  const { flowId } = parseInput(flowRefSchema(), path);
  const { limit, cursor } = parseInput(listQuerySchema(), query);
  return { body: await (await lambdaExecutions()).listByFlow(flowId, { limit, ...(cursor === undefined ? {} : { cursor }) }) };
});

/** GET /executions/{executionId} → record */
export const getExecution = httpHandler(async ({ path }) => {
  const executionId = parseInput(executionIdSchema(), path.executionId, 'executionId');
  return { body: await (await lambdaExecutions()).get(executionId) };
});

/** GET /executions/{executionId}/events ?after&waitMs → {events, nextAfter, done} */
export const listEvents = httpHandler(async ({ path, query }) => {
  const executionId = parseInput(executionIdSchema(), path.executionId, 'executionId');
  const { after, waitMs } = parseInput(eventsQuerySchema(), query);
  return { body: await (await lambdaExecutions()).events(executionId, after, waitMs) };
});

/** POST /executions/{executionId}/cancel {reason?} → record */
export const cancelExecution = httpHandler(async ({ path, body }) => {
  const { executionId, reason } = parseInput(cancelExecutionSchema(), { ...objectBody(body), executionId: path.executionId });
  return { body: await (await lambdaExecutions()).cancel(executionId, reason) };
});

/** POST /executions/{executionId}/redrive {} ?waitMs → 202 {executionId, status} | 200 record once ended */
export const redriveExecution = httpHandler(async ({ path, query, body }) => {
  const executionId = parseInput(executionIdSchema(), path.executionId, 'executionId');
  const { waitMs } = parseInput(waitQuerySchema(), query);
  parseInput(redriveBodySchema(), objectBody(body));
  const execution = await (await lambdaExecutions()).redrive(executionId, waitMs);
  return isEnded(execution) && waitMs > 0
    ? { body: execution }
    : { statusCode: 202, body: { executionId: execution.executionId, status: execution.status } };
});

/** POST /executions/{executionId}/signals/{signal} {payload?, signalId?} → 202 {accepted: true} */
export const sendSignal = httpHandler(async ({ path, body }) => {
  const { executionId, signal } = parseInput(signalRefSchema(), path);
  const request = parseInput(signalBodySchema(), objectBody(body));
  return { statusCode: 202, body: await (await lambdaExecutions()).sendSignal(executionId, signal, request) };
});

/** GET /executions/{executionId}/children ?nodeId&limit&cursor → {items, nextCursor}, in item order */
export const listChildren = httpHandler(async ({ path, query }) => {
  const executionId = parseInput(executionIdSchema(), path.executionId, 'executionId');
  const { nodeId, limit, cursor } = parseInput(childrenQuerySchema(), query);
  return { body: await (await lambdaExecutions()).children(executionId, { limit, ...(nodeId === undefined ? {} : { nodeId }), ...(cursor === undefined ? {} : { cursor }) }) };
});
