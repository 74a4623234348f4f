import * as z from 'zod/mini';
import { FLOW_ID_PATTERN } from './ids.js';

export const MAX_NODES = 5_000;
export const MAX_TIMEOUT_MS = 31 * 24 * 60 * 60 * 1000;

const timeoutMs = z.optional(
  z.int({ error: 'must be an integer' }).check(z.minimum(1, { error: 'must be at least 1' }), z.maximum(MAX_TIMEOUT_MS, { error: `must be at most ${MAX_TIMEOUT_MS}` })),
);

const nodeSchema = z.object(
  {
    id: z.string({ error: 'must be a string' }).check(z.regex(FLOW_ID_PATTERN, { error: 'must match [A-Za-z0-9_-]{1,128}' })),
    type: z.string({ error: 'must be a string' }),
    inputs: z.optional(z.record(z.string(), z.unknown(), { error: 'must be an object' })),
    timeoutMs,
  },
  { error: 'must be an object' },
);

const edgeSchema = z.object(
  { from: z.string({ error: 'must be a string' }), to: z.string({ error: 'must be a string' }) },
  { error: 'must be an object' },
);

/** A flow definition as users write it (SPEC §6). Structure only; `compileFlow` checks the graph. */
export const flowDefinitionSchema = z.object(
  {
    name: z.optional(z.string({ error: 'must be a string' }).check(z.maxLength(200, { error: 'must be at most 200 characters' }))),
    nodes: z.array(nodeSchema, { error: 'must be an array' }).check(z.minLength(1, { error: 'must have at least one node' }), z.maxLength(MAX_NODES, { error: `must have at most ${MAX_NODES} nodes` })),
    edges: z._default(z.array(edgeSchema, { error: 'must be an array' }), []),
    timeoutMs,
  },
  { error: 'must be a JSON object' },
);

export type FlowDefinition = z.output<typeof flowDefinitionSchema>;
export type NodeSpec = FlowDefinition['nodes'][number];
export type EdgeSpec = FlowDefinition['edges'][number];
