import type { NodeType } from './types.js';

export const SubflowNode: NodeType = {
  type: 'SubflowNode',
  description: 'Runs another flow as a child execution and resolves its output.',
  runsOutsideStep: true,
  runsAlone: true,
  inputs: { flowId: { type: 'string', required: true }, input: { type: 'any', default: null } },
  outputs: { output: { type: 'any' } },
  async run(inputs, context) {
    return { output: await context.services.subflow(String(inputs.flowId), inputs.input, { nodeId: context.nodeId, attempt: context.attempt, signal: context.signal }) };
  },
};
