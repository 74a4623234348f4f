import { flowRefSchema, saveFlowSchema } from '../lib/executions/control/schemas.js';
import { lambdaExecutions } from '../lib/lambda/executions.js';
import { invokeHandler } from '../lib/lambda/handlers.js';
import { parseInput } from '../lib/validation.js';

/** saveFlow: {flowId, definition} → {flowId, version} (as PUT /flows/{flowId}: same content, same version) */
export const saveFlow = invokeHandler(async (payload) => {
  const { flowId, definition } = parseInput(saveFlowSchema(), payload);
  return (await lambdaExecutions()).saveFlow(flowId, definition);
});

/** getFlow: {flowId} → {flowId, version, definition} (as GET /flows/{flowId}) */
export const getFlow = invokeHandler(async (payload) => {
  const { flowId } = parseInput(flowRefSchema(), payload);
  const flow = await (await lambdaExecutions()).getFlow(flowId);
  return { flowId: flow.flowId, version: flow.version, definition: flow.definition };
});
