import { NotFoundError } from '../lib/errors.js';
import { sharedExecutionApi } from '../lib/executions/ExecutionApi.js';
import { flowIdSchema } from '../lib/executions/schemas.js';
import { httpHandler } from '../lib/lambda/handlers.js';
import { parseInput } from '../lib/validation.js';

const flowIdOf = (path: Record<string, string>) => parseInput(flowIdSchema, path.flowId, 'flowId');

/** PUT /flows/{flowId} — the definition; 200 {flowId, version} (same content, same version). */
export const saveFlow = httpHandler(async ({ path, body }) => {
  const flowId = flowIdOf(path);
  return { body: await (await sharedExecutionApi()).service.saveFlow(flowId, body) };
});

/** GET /flows/{flowId} → {flowId, version, definition} */
export const getFlow = httpHandler(async ({ path }) => {
  const flowId = flowIdOf(path);
  const flow = await (await sharedExecutionApi()).flows.get(flowId);
  if (!flow) throw new NotFoundError(`flow ${flowId} does not exist`);
  return { body: { flowId: flow.flowId, version: flow.version, definition: flow.definition } };
});

/** GET /flows → {items: [{flowId, version, name}]} */
export const listFlows = httpHandler(async () => ({ body: { items: await (await sharedExecutionApi()).flows.list() } }));
