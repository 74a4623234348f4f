import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError, type FieldProblem } from '../lib/errors.js';
import { compileFlow, inputPortsOf } from '../lib/flows/compile.js';
import { NodeRegistry } from '../lib/flows/nodes/registry.js';
import type { NodeType } from '../lib/flows/nodes/types.js';
import { FLOW_SCHEMA_FILE, flowSchemaText } from '../scripts/flow-schema.js';
import { doublingFlow, ordersSyncFlow, subflowCallerFlow } from './support/fixtures.js';

// docs/flow.schema.json, the JSON Schema editors check flow files with, against the compiler that
// saving uses: every flow the compiler takes, the schema takes; every problem the schema can
// express (structure, node types, static inputs), it reports too.

const registry = new NodeRegistry();
const schema = JSON.parse(readFileSync(FLOW_SCHEMA_FILE, 'utf8')) as object;
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
const examplesDir = path.resolve(import.meta.dirname, '..', 'examples', 'flows');

function compilerProblems(definition: unknown): FieldProblem[] {
  try {
    compileFlow(definition, registry);
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return error.details ?? [];
    throw error;
  }
}

const schemaAccepts = (definition: unknown): boolean => validate(definition) === true;

describe('docs/flow.schema.json', () => {
  it('is generated from the definition schema and the node registry (npm run flow-schema)', () => {
    expect(readFileSync(FLOW_SCHEMA_FILE, 'utf8')).toBe(flowSchemaText());
  });

  const valid: Array<[string, unknown]> = [
    ...readdirSync(examplesDir).filter((file) => file.endsWith('.flow.json')).map((file): [string, unknown] => [`examples/flows/${file}`, JSON.parse(readFileSync(path.join(examplesDir, file), 'utf8'))]),
    ['ordersSyncFlow', ordersSyncFlow()],
    ['doublingFlow', doublingFlow(5)],
    ['subflowCallerFlow', subflowCallerFlow('child')],
    ['secret header and url', { nodes: [{ id: 'h', type: 'HttpRequestNode', inputs: { url: { $secret: 'hook-url' }, method: 'post', headers: { authorization: { $secret: 'token' } } } }] }],
    ['null statics and a flow timeout', { name: 'n', timeoutMs: 5000, nodes: [{ id: 's', type: 'SleepNode', inputs: { ms: null } }, { id: 'f', type: 'FailNode', inputs: { message: null } }] }],
    ['unknown top-level keys (ignored)', { description: 'kept out', nodes: [{ id: 'in', type: 'FlowInputNode', note: 'x' }] }],
  ];
  it.each(valid)('accepts %s, as the compiler does', (_name, definition) => {
    expect(compilerProblems(definition)).toEqual([]);
    expect(schemaAccepts(definition), JSON.stringify(validate.errors)).toBe(true);
  });

  const invalid: Array<[string, unknown]> = [
    ['not an object', [1]],
    ['no nodes', { nodes: [] }],
    ['a bad node id', { nodes: [{ id: 'a b', type: 'FlowInputNode' }] }],
    ['an unknown node type', { nodes: [{ id: 'x', type: 'NopeNode' }] }],
    ['an unknown input port', { nodes: [{ id: 't', type: 'TransformNode', inputs: { expression: '1', nope: 1 } }] }],
    ['a static of the wrong type', { nodes: [{ id: 's', type: 'SleepNode', inputs: { ms: 'soon' } }] }],
    ['a relative url', { nodes: [{ id: 'h', type: 'HttpRequestNode', inputs: { url: 'example' } }] }],
    ['an unknown method', { nodes: [{ id: 'h', type: 'HttpRequestNode', inputs: { url: 'https://a.test', method: 'FETCH' } }] }],
    ['a malformed failOnStatus', { nodes: [{ id: 'h', type: 'HttpRequestNode', inputs: { url: 'https://a.test', failOnStatus: ['50x'] } }] }],
    ['a malformed secret name', { nodes: [{ id: 'h', type: 'HttpRequestNode', inputs: { url: { $secret: 'a b' } } }] }],
    ['a malformed edge', { nodes: [{ id: 'in', type: 'FlowInputNode' }], edges: [{ from: 'in', to: 'in.__execute' }] }],
    ['a malformed retry policy', { nodes: [{ id: 'in', type: 'FlowInputNode', retry: [{ backoffRate: 0.5 }] }] }],
    ['a timeoutMs on a node that takes none', { nodes: [{ id: 'w', type: 'WaitForSignalNode', inputs: { signal: 'go' }, timeoutMs: 1000 }] }],
    ['a bad ForEach flow id', { nodes: [{ id: 'e', type: 'ForEachNode', inputs: { items: [], flowId: 'no such id!' } }] }],
    ['a ForEach concurrency out of range', { nodes: [{ id: 'e', type: 'ForEachNode', inputs: { flowId: 'c', maxConcurrency: 0 } }] }],
  ];
  it.each(invalid)('rejects %s, as the compiler does', (_name, definition) => {
    expect(compilerProblems(definition)).not.toEqual([]);
    expect(schemaAccepts(definition)).toBe(false);
  });

  it('leaves the graph to the compiler: cycles, duplicate ids, edges between ports that do not exist', () => {
    const graphProblems = [
      { nodes: [{ id: 'a', type: 'FlowInputNode' }, { id: 'a', type: 'FlowOutputNode' }] },
      { nodes: [{ id: 'in', type: 'FlowInputNode' }], edges: [{ from: 'ghost.value', to: 'in.__execute' }] },
    ];
    for (const definition of graphProblems) {
      expect(compilerProblems(definition)).not.toEqual([]);
      expect(schemaAccepts(definition)).toBe(true);
    }
  });

  /** A valid static value for each required input, so that only the port under test decides. */
  const REQUIRED: Record<string, Record<string, unknown>> = {
    TransformNode: { expression: '$' },
    BranchNode: { condition: true },
    SleepNode: { ms: 1 },
    HttpRequestNode: { url: 'https://a.test' },
    LambdaInvokeNode: { functionName: 'f' },
    SubflowNode: { flowId: 'child' },
    FFDBLockAcquireNode: { lockKey: 'k', lockTtlMs: 1000 },
    FFDBLockReleaseNode: { lockKey: 'k', lockId: 'id' },
    WaitForSignalNode: { signal: 'go' },
    ForEachNode: { items: [], flowId: 'child' },
  };
  const ports = registry
    .names()
    .flatMap((type) => Object.keys(inputPortsOf(registry.get(type) as NodeType)).map((port) => ({ type, port })))
    // JSONata syntax is the compiler's alone.
    .filter(({ type, port }) => !(type === 'TransformNode' && port === 'expression'));
  const edgeValues = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(0, -1, 1.5, 99, 100, 599, 600, 1000, 1001, 2 ** 53, 'GET', 'get', 'FETCH', 'http://a.test', 'ftp://a.test', 'https:x', '5xx', '6xx', 'a b', 'ok-id', 'sig.nal:1'),
    fc.constantFrom<unknown>([429, '4xx'], ['4xx', 700], { $secret: 'name' }, { $secret: 'a b' }, { $secret: 1 }, null, true, [], {}),
  );

  it('agrees with the compiler on generated static values of every input port of every node type', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ports), edgeValues, ({ type, port }, value) => {
        const definition = { nodes: [{ id: 'n', type, inputs: { ...REQUIRED[type], [port]: value } }] };
        const compilerSays = compilerProblems(definition).length === 0;
        expect(schemaAccepts(definition), `${type}.${port} = ${JSON.stringify(value)}: compiler ${compilerSays ? 'accepts' : 'rejects'}`).toBe(compilerSays);
      }),
      { numRuns: 1_500 },
    );
  });
});
