import { flowRefSchema, flowVersionQuerySchema } from '../lib/executions/control/schemas.js';
import { httpHandler } from '../lib/lambda/handlers.js';
import { lambdaExecutions } from '../lib/lambda/executions.js';
import { parseInput } from '../lib/validation.js';

/** PUT /flows/{flowId} — the definition; 200 {flowId, version} (same content, same version). */
export const saveFlow = httpHandler(async ({ path, body }) => {
  const { flowId } = parseInput(flowRefSchema(), path);
  return { body: await (await lambdaExecutions()).saveFlow(flowId, body) };
});

/** GET /flows/{flowId} ?version → {flowId, version, definition}, the newest version unless one is named */
export const getFlow = httpHandler(async ({ path, query }) => {
  const { flowId } = parseInput(flowRefSchema(), path);
  const { version } = parseInput(flowVersionQuerySchema(), query);
  const flow = await (await lambdaExecutions()).getFlow(flowId, version);
  return { body: { flowId: flow.flowId, version: flow.version, definition: flow.definition } };
});

/** GET /flows → {items: [{flowId, version, name}]} */
export const listFlows = httpHandler(async () => ({ body: { items: await (await lambdaExecutions()).listFlows() } }));
