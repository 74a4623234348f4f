import type { NodeType } from './types.js';

export const FFDBLockReleaseNode: NodeType = {
  type: 'FFDBLockReleaseNode',
  description: 'Releases a lock through context.services.flowLock.',
  inputs: { lockKey: { type: 'string', required: true }, lockId: { type: 'string', required: true } },
  outputs: { released: { type: 'boolean' } },
  sensitiveValues: (inputs) => [inputs.lockId],
  async run(inputs, context) {
    const { released } = await context.services.flowLock.release(inputs.lockKey as string, inputs.lockId as string);
    return { released };
  },
};
