import { startAnswer } from '../lib/executions/control/ExecutionControl.js';
import { scheduledTickSchema } from '../lib/executions/control/schemas.js';
import { lambdaExecutions } from '../lib/lambda/executions.js';
import { invokeHandler } from '../lib/lambda/handlers.js';
import { parseInput } from '../lib/validation.js';

/**
 * scheduledTrigger (EventBridge schedule, through an input transformer that adds `<time>`):
 * {flowId, input?, time} → starts the flow once per tick. The tick's fire time is the
 * execution's idempotency key, so a duplicate delivery of one tick starts nothing new.
 */
export const scheduledTrigger = invokeHandler(async (event) => {
  const tick = parseInput(scheduledTickSchema(), event);
  const { execution, created } = await (await lambdaExecutions()).start({
    flowId: tick.flowId,
    input: tick.input ?? null,
    idempotencyKey: `schedule:${new Date(tick.time).toISOString()}`,
    waitMs: 0,
  });
  return { ...startAnswer(execution), created };
});
