import * as z from 'zod/mini';
import { FLOW_ID_PATTERN, ID_PROBLEM } from './ids.js';

export const MAX_NODES = 5_000;
export const MAX_TIMEOUT_MS = 31 * 24 * 60 * 60 * 1000;

const timeoutMs = z.optional(
  z.int({ error: 'must be an integer' }).check(z.minimum(1, { error: 'must be at least 1' }), z.maximum(MAX_TIMEOUT_MS, { error: `must be at most ${MAX_TIMEOUT_MS}` })),
);

/** The longest `intervalMs` and `maxDelayMs` of a retrier: one day. */
const MAX_RETRY_DELAY_MS = 86_400_000;

const integerBetween = (min: number, max: number) =>
  z.int({ error: 'must be an integer' }).check(z.minimum(min, { error: `must be at least ${min}` }), z.maximum(max, { error: `must be at most ${max}` }));

/** One retrier of a node's retry policy (SPEC's Step Functions–style Retry); defaults are applied when compiling. */
const retrierSchema = z.object(
  {
    on: z.optional(
      z
        .array(z.string({ error: 'must be a string' }).check(z.minLength(1, { error: 'must not be empty' }), z.maxLength(128, { error: 'must be at most 128 characters' })), { error: 'must be an array of error types' })
        .check(z.minLength(1, { error: 'must name at least one error type' }), z.maxLength(50, { error: 'must name at most 50 error types' })),
    ),
    maxAttempts: z.optional(integerBetween(0, 99)),
    intervalMs: z.optional(integerBetween(0, MAX_RETRY_DELAY_MS)),
    backoffRate: z.optional(z.number({ error: 'must be a number' }).check(z.minimum(1, { error: 'must be at least 1' }), z.maximum(10, { error: 'must be at most 10' }))),
    maxDelayMs: z.optional(integerBetween(1, MAX_RETRY_DELAY_MS)),
    jitter: z.optional(z.enum(['none', 'full'], { error: 'must be "none" or "full"' })),
  },
  { error: 'must be an object' },
);

const nodeSchema = z.object(
  {
    id: z.string({ error: 'must be a string' }).check(z.regex(FLOW_ID_PATTERN, { error: ID_PROBLEM })),
    type: z.string({ error: 'must be a string' }),
    inputs: z.optional(z.record(z.string(), z.unknown(), { error: 'must be an object' })),
    timeoutMs,
    retry: z.optional(z.array(retrierSchema, { error: 'must be an array of retriers' }).check(z.maxLength(20, { error: 'must have at most 20 retriers' }))),
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
export type RetrierSpec = NonNullable<NodeSpec['retry']>[number];
export type EdgeSpec = FlowDefinition['edges'][number];
