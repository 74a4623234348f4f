/** Flow definitions several suites run. */

/** The flow of SPEC §6: lock, count the items, unlock. */
export function ordersSyncFlow(lockKey = 'orders') {
  return {
    name: 'Orders sync',
    nodes: [
      { id: 'in', type: 'FlowInputNode' },
      { id: 'lock', type: 'FFDBLockAcquireNode', inputs: { lockKey, lockTtlMs: 30000, waitTimeoutMs: 5000 } },
      { id: 'shape', type: 'TransformNode', inputs: { expression: '$count(items)' } },
      { id: 'unlock', type: 'FFDBLockReleaseNode', inputs: { lockKey } },
      { id: 'out', type: 'FlowOutputNode' },
    ],
    edges: [
      { from: 'in.value', to: 'shape.input' },
      { from: 'lock.__success', to: 'shape.__execute' },
      { from: 'lock.lockId', to: 'unlock.lockId' },
      { from: 'shape.__success', to: 'unlock.__execute' },
      { from: 'shape.result', to: 'out.value' },
    ],
  };
}

/** input × 2, after a short durable sleep. */
export function doublingFlow(napMs = 0) {
  return {
    nodes: [
      { id: 'in', type: 'FlowInputNode' },
      { id: 'nap', type: 'SleepNode', inputs: { ms: napMs } },
      { id: 'double', type: 'TransformNode', inputs: { expression: '$ * 2' } },
      { id: 'out', type: 'FlowOutputNode' },
    ],
    edges: [
      { from: 'in.value', to: 'double.input' },
      { from: 'nap.__success', to: 'double.__execute' },
      { from: 'double.result', to: 'out.value' },
    ],
  };
}

/** Hands its input to `childFlowId` as a subflow and answers the child's output. */
export function subflowCallerFlow(childFlowId: string) {
  return {
    nodes: [
      { id: 'in', type: 'FlowInputNode' },
      { id: 'call', type: 'SubflowNode', inputs: { flowId: childFlowId } },
      { id: 'out', type: 'FlowOutputNode' },
    ],
    edges: [
      { from: 'in.value', to: 'call.input' },
      { from: 'call.output', to: 'out.value' },
    ],
  };
}
