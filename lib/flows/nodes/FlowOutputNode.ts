import type { NodeType } from './types.js';

/** The engine takes the execution's output from this node's `value` input. */
export const FlowOutputNode: NodeType = {
  type: 'FlowOutputNode',
  description: "Takes the execution's output.",
  isPure: () => true,
  inputs: { value: { type: 'any', default: null } },
  outputs: {},
  async run() {
    return {};
  },
};
