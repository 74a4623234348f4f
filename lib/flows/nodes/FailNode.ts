import { NodeError } from '../../errors.js';
import type { NodeType } from './types.js';

export const FailNode: NodeType = {
  type: 'FailNode',
  description: 'Always fails with `message`, as an error of type `errorType`.',
  isPure: () => true,
  inputs: { message: { type: 'string', default: 'FailNode failed' }, errorType: { type: 'string', default: 'FlowError' } },
  outputs: {},
  async run(inputs) {
    throw new NodeError(String(inputs.errorType), String(inputs.message));
  },
};
