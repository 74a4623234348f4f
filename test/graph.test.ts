import { describe, expect, it } from 'vitest';
import { ordersSyncFlow } from './support/fixtures.js';
import type { FlowDefinition } from '../lib/flows/definition.js';
import { layoutFlow, nodePorts } from '../lib/graph/layout.js';
import { portCatalog } from '../lib/graph/ports.js';
import { endedCount, foldNodeStates, type FlowEvent } from '../lib/graph/states.js';
import { renderFlowSvg } from '../lib/graph/svg.js';

// lib/graph: what the console draws and the command line will draw, in Node.

const flow = ordersSyncFlow() as FlowDefinition;

let index = 0;
const event = (type: string, nodeId?: string, data?: unknown): FlowEvent => ({ index: index++, type, timestamp: new Date(0).toISOString(), ...(nodeId ? { nodeId } : {}), ...(data ? { data } : {}) });

describe('layoutFlow', () => {
  it('places every node and routes every edge from its output port to its input port, left to right', async () => {
    const layout = await layoutFlow(flow, portCatalog());
    expect(layout.nodes.map((node) => node.id).sort()).toEqual(flow.nodes.map((node) => node.id).sort());
    expect(layout.edges.map((edge) => edge.id).sort()).toEqual(flow.edges.map((edge) => `${edge.from}->${edge.to}`).sort());
    const byId = new Map(layout.nodes.map((node) => [node.id, node]));
    for (const edge of layout.edges) {
      const [fromNode, fromPort] = edge.from.split('.') as [string, string];
      const [toNode, toPort] = edge.to.split('.') as [string, string];
      const source = byId.get(fromNode)!;
      const target = byId.get(toNode)!;
      const out = source.outputs.find((port) => port.name === fromPort)!;
      const into = target.inputs.find((port) => port.name === toPort)!;
      expect(edge.points[0]).toEqual({ x: source.x + out.x, y: source.y + out.y });
      expect(edge.points.at(-1)).toEqual({ x: target.x + into.x, y: target.y + into.y });
      expect(target.x).toBeGreaterThan(source.x + source.width - 1);
    }
    for (const node of layout.nodes) {
      expect(node.x + node.width).toBeLessThanOrEqual(layout.width);
      expect(node.y + node.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it("shows a node type's own ports, and system ports only where an edge uses them", () => {
    const ports = nodePorts(flow, portCatalog());
    expect(ports.get('lock')).toEqual({ inputs: ['lockKey', 'lockTtlMs', 'waitTimeoutMs'], outputs: ['acquired', 'lockId', 'fencingToken', '__success'] });
    expect(ports.get('shape')).toEqual({ inputs: ['__execute', 'expression', 'input'], outputs: ['result', '__success'] });
    expect(ports.get('out')).toEqual({ inputs: ['value'], outputs: [] });
  });
});

describe('renderFlowSvg', () => {
  it('marks nodes and edges with the data hooks, escapes text, and makes a standalone document on request', async () => {
    const tricky: FlowDefinition = {
      nodes: [
        { id: 'in', type: 'FlowInputNode' },
        { id: 'a_b', type: 'TransformNode', inputs: { expression: '"<&>"' } },
      ],
      edges: [{ from: 'in.value', to: 'a_b.input' }],
    };
    const layout = await layoutFlow(tricky, { ...portCatalog(), FlowInputNode: { inputs: [], outputs: ['value', 'x<y'] } });
    const markup = renderFlowSvg(layout, { states: foldNodeStates(['in', 'a_b'], [event('node:started', 'in')]) });
    expect(markup).toContain('data-node-id="a_b" data-node-type="TransformNode" data-state="pending"');
    expect(markup).toContain('data-node-id="in" data-node-type="FlowInputNode" data-state="running"');
    expect(markup).toContain('data-edge="in.value-&gt;a_b.input"');
    expect(markup).toContain('x&lt;y');
    expect(markup).not.toContain('<svg');
    const document = renderFlowSvg(layout, { standalone: true });
    expect(document.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(document).toContain('<style>');
    expect(document).not.toContain('data-state');
  });
});

describe('foldNodeStates', () => {
  const ids = ['a', 'b', 'c', 'd'];

  it('follows a node through started, retrying, waiting and completed or failed', () => {
    const states = foldNodeStates(ids, [
      event('flow:started'),
      event('node:started', 'a'),
      event('node:retrying', 'a', { attempt: 1, error: { type: 'HttpError', message: '503' }, delayMs: 100 }),
      event('node:started', 'b'),
      event('node:waiting', 'b', { signal: 'approved', timeoutAt: 'later' }),
      event('node:started', 'c'),
      event('node:progress', 'c', { total: 4, succeeded: 1, failed: 0, running: 3 }),
    ]);
    expect(states.get('a')).toEqual({ state: 'retrying', attempt: 1, error: { type: 'HttpError', message: '503' } });
    expect(states.get('b')).toEqual({ state: 'waiting', signal: 'approved' });
    expect(states.get('c')).toEqual({ state: 'running', progress: { total: 4, succeeded: 1, failed: 0, running: 3 } });
    expect(states.get('d')).toEqual({ state: 'pending' });
  });

  it('after a cancel, reads a node that was active as stopped and one that never ran as pending (skipped if skipped)', () => {
    const states = foldNodeStates(ids, [
      event('node:started', 'a'),
      event('node:completed', 'a', { outputs: {} }),
      event('node:started', 'b'),
      event('node:skipped', 'c', { reason: 'branch' }),
      event('flow:cancelled', undefined, { reason: 'enough' }),
    ]);
    expect([...states].map(([id, status]) => `${id}:${status.state}`)).toEqual(['a:completed', 'b:stopped', 'c:skipped', 'd:pending']);
    expect(endedCount(states)).toBe(2);
  });

  it('puts every node that did not complete back to pending when the execution is redriven', () => {
    const states = foldNodeStates(ids, [
      event('node:started', 'a'),
      event('node:completed', 'a', { outputs: {} }),
      event('node:started', 'b'),
      event('node:failed', 'b', { error: { type: 'FlowError', message: 'no' } }),
      event('node:skipped', 'c'),
      event('flow:failed', undefined, { error: { type: 'FlowError', message: 'no' } }),
      event('execution:redriven', undefined, { redriveCount: 1 }),
      event('node:started', 'b'),
    ]);
    expect([...states].map(([id, status]) => `${id}:${status.state}`)).toEqual(['a:completed', 'b:running', 'c:pending', 'd:pending']);
  });
});
