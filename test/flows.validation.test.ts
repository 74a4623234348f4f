import { describe, expect, it } from 'vitest';
import { ValidationError } from '../lib/errors.js';
import { compileFlow } from '../lib/flows/compile.js';
import { NodeRegistry } from '../lib/flows/nodes/registry.js';
import { ordersSyncFlow } from './support/fixtures.js';

const registry = new NodeRegistry();

function problemsOf(definition: unknown): Array<{ field: string; message: string }> {
  try {
    compileFlow(definition, registry);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details ?? [];
  }
  throw new Error('the flow compiled, but problems were expected');
}

const io = [
  { id: 'in', type: 'FlowInputNode' },
  { id: 'out', type: 'FlowOutputNode' },
];

describe('saving a flow validates everything and lists every problem', () => {
  type Case = [label: string, definition: unknown, field: string, message: RegExp];
  const cases: Case[] = [
    ['a definition that is not an object', [1], '(input)', /must be a JSON object/],
    ['no nodes', { nodes: [] }, 'nodes', /at least one node/],
    ['a node id with bad characters', { nodes: [{ id: 'a b', type: 'FlowInputNode' }] }, 'nodes[0].id', /must match/],
    ['an unknown node type', { nodes: [{ id: 'x', type: 'NopeNode' }] }, 'nodes[0].type', /unknown node type "NopeNode"/],
    ['a duplicate node id', { nodes: [...io, { id: 'in', type: 'FlowInputNode' }] }, 'nodes[2].id', /duplicate node id "in"/],
    ['a static input on an unknown port', { nodes: [{ id: 't', type: 'TransformNode', inputs: { expression: '1', nope: 1 } }] }, 'nodes[0].inputs.nope', /has no input port "nope"/],
    ['a static input of the wrong type', { nodes: [{ id: 's', type: 'SleepNode', inputs: { ms: 'soon' } }] }, 'nodes[0].inputs.ms', /must be a number/],
    ['invalid JSONata', { nodes: [{ id: 't', type: 'TransformNode', inputs: { expression: '$count(' } }] }, 'nodes[0].inputs.expression', /not valid JSONata/],
    ['an HTTP url that is not absolute', { nodes: [{ id: 'h', type: 'HttpRequestNode', inputs: { url: 'example' } }] }, 'nodes[0].inputs.url', /absolute URL/],
    ['a required input with no source', { nodes: [{ id: 't', type: 'TransformNode' }] }, 'nodes[0].inputs.expression', /required input of t has no edge, value or default/],
    ['a malformed edge', { nodes: io, edges: [{ from: 'in', to: 'out.value' }] }, 'edges[0].from', /must be "<nodeId>.<port>"/],
    ['an edge from an unknown node', { nodes: io, edges: [{ from: 'ghost.value', to: 'out.value' }] }, 'edges[0].from', /unknown node "ghost"/],
    ['an edge into an unknown port', { nodes: io, edges: [{ from: 'in.value', to: 'out.nope' }] }, 'edges[0].to', /FlowOutputNode out has no input port "nope"/],
    ['an edge from an input port', { nodes: io, edges: [{ from: 'out.value', to: 'in.value' }] }, 'edges[0].from', /has no output port "value"/],
    [
      'an edge type mismatch',
      { nodes: [{ id: 'lock', type: 'FFDBLockAcquireNode', inputs: { lockKey: 'k', lockTtlMs: 1000 } }, { id: 's', type: 'SleepNode' }], edges: [{ from: 'lock.lockId', to: 's.ms' }] },
      'edges[0]',
      /string output lock.lockId cannot feed number input s.ms/,
    ],
    [
      'a cycle',
      {
        nodes: [
          { id: 'a', type: 'TransformNode', inputs: { expression: '$' } },
          { id: 'b', type: 'TransformNode', inputs: { expression: '$' } },
        ],
        edges: [
          { from: 'a.result', to: 'b.input' },
          { from: 'b.result', to: 'a.input' },
        ],
      },
      'edges',
      /cycle through nodes a, b/,
    ],
    ['two FlowOutputNodes', { nodes: [...io, { id: 'out2', type: 'FlowOutputNode' }] }, 'nodes', /more than one FlowOutputNode \(out, out2\)/],
    ['a node timeout of 0', { nodes: [{ id: 'in', type: 'FlowInputNode', timeoutMs: 0 }] }, 'nodes[0].timeoutMs', /at least 1/],
  ];

  it.each(cases)('%s', (_label, definition, field, message) => {
    const problems = problemsOf(definition);
    expect(problems).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it('reports all problems of a flow at once', () => {
    const problems = problemsOf({
      nodes: [
        { id: 'in', type: 'FlowInputNode' },
        { id: 'in', type: 'FlowInputNode' },
        { id: 'x', type: 'Mystery' },
        { id: 't', type: 'TransformNode' },
      ],
      edges: [{ from: 'in.nothing', to: 't.input' }],
    });
    expect(problems.map((problem) => problem.field)).toEqual(['nodes[1].id', 'nodes[2].type', 'edges[0].from', 'nodes[3].inputs.expression']);
  });

  it('accepts the flow of the spec and orders its nodes topologically', () => {
    const flow = compileFlow(ordersSyncFlow(), registry);
    expect(flow.nodes.map((node) => node.id)).toEqual(['in', 'lock', 'shape', 'unlock', 'out']);
  });
});
