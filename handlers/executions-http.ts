import { sharedExecutionApi } from '../lib/executions/ExecutionApi.js';
import {
  cancelExecutionSchema,
  eventsQuerySchema,
  executionIdSchema,
  flowIdSchema,
  listQuerySchema,
  startBodySchema,
  startQuerySchema,
} from '../lib/executions/schemas.js';
import { ENDED_STATUSES } from '../lib/executions/types.js';
import { httpHandler, objectBody } from '../lib/lambda/handlers.js';
import { parseInput } from '../lib/validation.js';

/** POST /flows/{flowId}/executions {input?, idempotencyKey?} ?waitMs → 202 {executionId, status} | 200 record */
export const startExecution = httpHandler(async ({ path, query, body }) => {
  const flowId = parseInput(flowIdSchema, path.flowId, 'flowId');
  const { waitMs } = parseInput(startQuerySchema, query);
  const request = parseInput(startBodySchema, objectBody(body));
  const { execution } = await (await sharedExecutionApi()).start({ flowId, waitMs, ...request });
  return ENDED_STATUSES.includes(execution.status) && waitMs > 0
    ? { body: execution }
    : { statusCode: 202, body: { executionId: execution.executionId, status: execution.status } };
});

/** GET /flows/{flowId}/executions ?limit&cursor → {items, nextCursor}, newest first */
export const listExecutions = httpHandler(async ({ path, query }) => {
  const flowId = parseInput(flowIdSchema, path.flowId, 'flowId');
  const { limit, cursor } = parseInput(listQuerySchema, query);
  return { body: await (await sharedExecutionApi()).listByFlow(flowId, { limit, ...(cursor === undefined ? {} : { cursor }) }) };
});

/** GET /executions/{executionId} → record */
export const getExecution = httpHandler(async ({ path }) => {
  const executionId = parseInput(executionIdSchema, path.executionId, 'executionId');
  return { body: await (await sharedExecutionApi()).get(executionId) };
});

/** GET /executions/{executionId}/events ?after&waitMs → {events, nextAfter, done} */
export const listEvents = httpHandler(async ({ path, query }) => {
  const executionId = parseInput(executionIdSchema, path.executionId, 'executionId');
  const { after, waitMs } = parseInput(eventsQuerySchema, query);
  return { body: await (await sharedExecutionApi()).events(executionId, after, waitMs) };
});

/** POST /executions/{executionId}/cancel {reason?} → record */
export const cancelExecution = httpHandler(async ({ path, body }) => {
  const { executionId, reason } = parseInput(cancelExecutionSchema, { ...objectBody(body), executionId: path.executionId });
  return { body: await (await sharedExecutionApi()).cancel(executionId, reason) };
});
