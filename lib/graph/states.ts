// Each node's state in an execution, folded from the execution's events. The console colours its
// graph with it and the command line counts progress with it; both read the same events API.

export type NodeState = 'pending' | 'running' | 'waiting' | 'retrying' | 'completed' | 'failed' | 'skipped' | 'stopped';

export const NODE_STATES: readonly NodeState[] = ['pending', 'running', 'waiting', 'retrying', 'completed', 'failed', 'skipped', 'stopped'];

/** An event as the events API answers it. */
export interface FlowEvent {
  index: number;
  type: string;
  timestamp: string;
  nodeId?: string;
  data?: unknown;
}

export interface NodeProgress {
  total: number;
  succeeded: number;
  failed: number;
  running: number;
}

export interface NodeStatus {
  state: NodeState;
  /** The failure (node:failed) or the last failed attempt (node:retrying). */
  error?: { type?: string; message?: string };
  /** The attempt that failed last, while retrying. */
  attempt?: number;
  /** The signal a waiting node waits for. */
  signal?: string;
  /** A ForEachNode's last progress report. */
  progress?: NodeProgress;
}

const ENDED_EVENTS = new Set(['flow:completed', 'flow:failed', 'flow:cancelled']);
const ACTIVE_STATES = new Set<NodeState>(['running', 'waiting', 'retrying']);

const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});

/**
 * Folds events (in index order) into node states. Nodes with no event yet are `pending`. After
 * the execution ended, a node still active reads `stopped` (it was cancelled, or stopped because
 * the flow failed elsewhere); a redrive puts every node that did not complete back to `pending`.
 */
export function foldNodeStates(nodeIds: readonly string[], events: readonly FlowEvent[]): Map<string, NodeStatus> {
  const states = new Map<string, NodeStatus>(nodeIds.map((id) => [id, { state: 'pending' }]));
  for (const event of events) {
    if (event.type === 'execution:redriven') {
      for (const [id, status] of states) if (status.state !== 'completed') states.set(id, { state: 'pending' });
      continue;
    }
    if (ENDED_EVENTS.has(event.type)) {
      for (const [id, status] of states) if (ACTIVE_STATES.has(status.state)) states.set(id, { ...status, state: 'stopped' });
      continue;
    }
    if (event.nodeId === undefined || !states.has(event.nodeId)) continue;
    const current = states.get(event.nodeId)!;
    const data = record(event.data);
    switch (event.type) {
      case 'node:started':
        states.set(event.nodeId, { state: 'running' });
        break;
      case 'node:completed':
        states.set(event.nodeId, { state: 'completed', ...(current.progress ? { progress: current.progress } : {}) });
        break;
      case 'node:failed':
        states.set(event.nodeId, { state: 'failed', error: record(data.error), ...(current.progress ? { progress: current.progress } : {}) });
        break;
      case 'node:skipped':
        states.set(event.nodeId, { state: 'skipped' });
        break;
      case 'node:retrying':
        states.set(event.nodeId, { state: 'retrying', error: record(data.error), attempt: Number(data.attempt) });
        break;
      case 'node:waiting':
        states.set(event.nodeId, { state: 'waiting', signal: String(data.signal ?? '') });
        break;
      case 'node:progress':
        states.set(event.nodeId, { ...current, progress: data as unknown as NodeProgress });
        break;
      default:
        break;
    }
  }
  return states;
}

/** How many nodes ended (completed, failed or skipped) of all. */
export function endedCount(states: ReadonlyMap<string, NodeStatus>): number {
  let ended = 0;
  for (const status of states.values()) if (status.state === 'completed' || status.state === 'failed' || status.state === 'skipped') ended += 1;
  return ended;
}
