import { NodeError } from '../../errors.js';
import type { NodeType } from './types.js';

export const FFDBLockAcquireNode: NodeType = {
  type: 'FFDBLockAcquireNode',
  description: 'Acquires a named lock through context.services.flowLock; fails when it is not granted in time.',
  inputs: {
    lockKey: { type: 'string', required: true },
    lockTtlMs: { type: 'number', required: true },
    waitTimeoutMs: { type: 'number', default: 0 },
  },
  outputs: { acquired: { type: 'boolean' }, lockId: { type: 'string' }, fencingToken: { type: 'number' } },
  // Whoever reads the lockId may release or extend the lock.
  sensitiveValues: (_inputs, outputs) => [outputs?.lockId],
  async run(inputs, context) {
    const lockKey = inputs.lockKey as string;
    const waitTimeoutMs = inputs.waitTimeoutMs as number;
    const grant = await context.services.flowLock.acquire(lockKey, inputs.lockTtlMs as number, waitTimeoutMs);
    if (!grant.acquired) throw new NodeError('LockNotAcquired', `lock "${lockKey}" was not acquired within ${waitTimeoutMs} ms`, { details: { lockKey } });
    return { acquired: true, lockId: grant.lockId, fencingToken: grant.fencingToken ?? null };
  },
};
