import type { NodeType } from './types.js';

export const FlowInputNode: NodeType = {
  type: 'FlowInputNode',
  description: "Hands on the execution's input.",
  isPure: () => true,
  inputs: {},
  outputs: { value: { type: 'any' } },
  async run(_inputs, context) {
    return { value: context.input ?? null };
  },
};
