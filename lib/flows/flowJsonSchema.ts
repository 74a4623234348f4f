import * as z from 'zod/mini';
import { EDGE_ENDPOINT, inputPortsOf } from './compile.js';
import { flowDefinitionSchema } from './definition.js';
import { FLOW_ID_PATTERN, SIGNAL_NAME_PATTERN } from './ids.js';
import { MAX_CONCURRENCY, MAX_FOREACH_ITEMS } from './nodes/ForEachNode.js';
import { METHODS } from './nodes/HttpRequestNode.js';
import type { NodeRegistry } from './nodes/registry.js';
import { MAX_SLEEP_MS } from './nodes/SleepNode.js';
import type { NodeType } from './nodes/types.js';
import { MAX_WAIT_MS } from './nodes/WaitForSignalNode.js';
import type { PortSpec } from './ports.js';
import { SECRET_NAME_PATTERN } from './secrets.js';

type JsonSchema = Record<string, unknown>;

/** A regular expression's source as a JSON Schema pattern (JSON Schema patterns take no flags). */
const pattern = (expression: RegExp): string => expression.source;

/** Matches `word` in any letter case, for a pattern without flags: `get` → `[Gg][Ee][Tt]`. */
const anyCase = (word: string): string => [...word].map((letter) => `[${letter.toUpperCase()}${letter.toLowerCase()}]`).join('');

/** Shared parts, under `$defs`: secret references may stand anywhere in a static value, and must be well formed. */
const DEFS: Record<string, JsonSchema> = {
  secretRef: {
    type: 'object',
    description: 'A secret, resolved when the node runs and never stored: {"$secret": "<name>"}',
    properties: { $secret: { type: 'string', pattern: pattern(SECRET_NAME_PATTERN) } },
    required: ['$secret'],
    additionalProperties: false,
  },
  /** An object that is not a secret reference (whose only key would be `$secret`), its values static values. */
  plainObject: { type: 'object', not: { required: ['$secret'], maxProperties: 1 }, additionalProperties: { $ref: '#/$defs/staticValue' } },
  plainArray: { type: 'array', items: { $ref: '#/$defs/staticValue' } },
  staticValue: {
    anyOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { $ref: '#/$defs/secretRef' }, { $ref: '#/$defs/plainObject' }, { $ref: '#/$defs/plainArray' }],
  },
};
const SECRET_REF: JsonSchema = { $ref: '#/$defs/secretRef' };
const NULL: JsonSchema = { type: 'null' };
const integer = (minimum: number, maximum: number): JsonSchema => ({ type: 'integer', minimum, maximum });

/** Static values by port type: null fits every port, and a string port may hold a secret reference. */
const VALUE_BY_TYPE: Record<PortSpec['type'], JsonSchema> = {
  any: { $ref: '#/$defs/staticValue' },
  string: { anyOf: [{ type: 'string' }, SECRET_REF, NULL] },
  number: { anyOf: [{ type: 'number' }, NULL] },
  boolean: { anyOf: [{ type: 'boolean' }, NULL] },
  object: { anyOf: [{ $ref: '#/$defs/plainObject' }, NULL] },
  array: { anyOf: [{ $ref: '#/$defs/plainArray' }, NULL] },
};

/**
 * What the node types check in static values beyond the port's type (their `validateStatic`),
 * as JSON Schema: these replace the port type's schema. `test/flow-schema.test.ts` holds the two
 * to agreement on generated values of every port.
 */
const STATIC_CHECKS: Record<string, Record<string, JsonSchema>> = {
  HttpRequestNode: {
    url: { anyOf: [{ type: 'string', pattern: '^\\s*[Hh][Tt][Tt][Pp][Ss]?:' }, SECRET_REF, NULL] },
    method: { anyOf: [{ type: 'string', pattern: `^(${[...METHODS].map(anyCase).join('|')})$` }, SECRET_REF, NULL] },
    failOnStatus: { anyOf: [{ type: 'array', items: { anyOf: [integer(100, 599), { type: 'string', pattern: '^[1-5]xx$' }] } }, NULL] },
  },
  SleepNode: { ms: { anyOf: [integer(0, MAX_SLEEP_MS), NULL] } },
  WaitForSignalNode: {
    signal: { type: 'string', pattern: pattern(SIGNAL_NAME_PATTERN) },
    timeoutMs: integer(1, MAX_WAIT_MS),
  },
  ForEachNode: {
    items: { anyOf: [{ $ref: '#/$defs/plainArray', maxItems: MAX_FOREACH_ITEMS }, NULL] },
    flowId: { type: 'string', pattern: pattern(FLOW_ID_PATTERN) },
    maxConcurrency: integer(1, MAX_CONCURRENCY),
    toleratedFailures: integer(0, Number.MAX_SAFE_INTEGER),
  },
};

function portSchema(nodeType: NodeType, port: string, spec: PortSpec): JsonSchema {
  const about = `${spec.type} input${spec.required ? ', required (an edge or this value)' : ''}${spec.default === undefined ? '' : `; default ${JSON.stringify(spec.default)}`}`;
  return { description: about, ...(STATIC_CHECKS[nodeType.type]?.[port] ?? VALUE_BY_TYPE[spec.type]), ...(spec.default === undefined ? {} : { default: spec.default }) };
}

/** The part of a node's schema that depends on its type: its static inputs, and no `timeoutMs` where it takes none. */
function nodeTypeRule(nodeType: NodeType): JsonSchema {
  const inputs = Object.fromEntries(Object.entries(inputPortsOf(nodeType)).map(([port, spec]) => [port, portSchema(nodeType, port, spec)]));
  return {
    if: { properties: { type: { const: nodeType.type } }, required: ['type'] },
    then: {
      properties: {
        inputs: { type: 'object', description: `Static inputs of ${nodeType.type}`, properties: inputs, additionalProperties: false },
        ...(nodeType.runsAlone ? { timeoutMs: false } : {}),
      },
    },
  };
}

/**
 * The JSON Schema of flow files (`docs/flow.schema.json`) for editors: the definition's structure
 * from the same zod schema saving parses with, the node types and their static inputs from the
 * node registry. What it cannot express (the graph: edges between existing ports, types along
 * edges, cycles, duplicate ids, required inputs without a source; JSONata syntax) only
 * `fireflow flows validate` and saving check.
 */
export function flowJsonSchema(registry: NodeRegistry): JsonSchema {
  const base = z.toJSONSchema(flowDefinitionSchema, { io: 'input', target: 'draft-2020-12' }) as unknown as JsonSchema & {
    properties: { nodes: { items: { properties: Record<string, JsonSchema> } }; edges: { items: { properties: Record<string, JsonSchema> } } };
  };
  const nodeTypes = registry.names().map((name) => registry.get(name) as NodeType);
  const nodeItems = base.properties.nodes.items;
  nodeItems.properties.type = { type: 'string', enum: nodeTypes.map((nodeType) => nodeType.type), description: 'The node type' };
  Object.assign(nodeItems, { allOf: nodeTypes.map(nodeTypeRule) });
  const endpoint = { type: 'string', pattern: pattern(EDGE_ENDPOINT), description: '"<nodeId>.<port>"' };
  Object.assign(base.properties.edges.items.properties, { from: { ...endpoint, description: 'An output port, "<nodeId>.<port>"' }, to: { ...endpoint, description: 'An input port, "<nodeId>.<port>"' } });
  return {
    $schema: base.$schema,
    title: 'FireFlow flow',
    description: 'A FireFlow flow definition: typed nodes joined by edges from output ports to input ports.',
    ...base,
    properties: { $schema: { type: 'string', description: 'This schema, for editors; dropped when the flow is saved' }, ...base.properties },
    $defs: DEFS,
  };
}
