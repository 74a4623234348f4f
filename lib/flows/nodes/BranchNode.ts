import type { NodeType } from './types.js';

export const BranchNode: NodeType = {
  type: 'BranchNode',
  description: 'Passes `value` to the `true` or the `false` side; the other side is skipped.',
  isPure: () => true,
  inputs: { condition: { type: 'boolean', required: true }, value: { type: 'any', default: null } },
  outputs: { true: { type: 'any' }, false: { type: 'any' } },
  async run(inputs) {
    return inputs.condition === true ? { true: inputs.value } : { false: inputs.value };
  },
};
