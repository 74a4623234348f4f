import { NodeFailure, type NodeType } from './types.js';

export const FailNode: NodeType = {
  type: 'FailNode',
  description: 'Always fails with `message`.',
  inputs: { message: { type: 'string', default: 'FailNode failed' } },
  outputs: {},
  async run(inputs) {
    throw new NodeFailure(String(inputs.message));
  },
};
