import * as z from 'zod/mini';
import { FLOW_ID_PATTERN, flowIdSchema, ID_PROBLEM, SIGNAL_NAME_PATTERN } from '../../flows/ids.js';
import { boundedString, builtAtFirstUse, integerInRange, missingOr } from '../../validation.js';
import { DEFAULT_SWEEP_LIMITS, HTTP_WAIT_MAX_MS } from './limits.js';

// What callers send to the control side, checked at the edges (Lambda handlers). Each schema is
// built when first used: a function's cold start builds only those of the calls it answers.

/** `{flowId}`: a flow named in a path or a payload. */
export const flowRefSchema = builtAtFirstUse(() => z.object({ flowId: flowIdSchema }, { error: 'must be a JSON object' }));

export const executionIdSchema = builtAtFirstUse(() => boundedString(128));

const idempotencyKeySchema = builtAtFirstUse(() => boundedString(256));

export const startExecutionSchema = (maxWaitMs: number) =>
  z.object(
    {
      flowId: flowIdSchema,
      input: z.optional(z.unknown()),
      idempotencyKey: z.optional(idempotencyKeySchema()),
      waitMs: z._default(integerInRange(0, maxWaitMs), 0),
    },
    { error: 'must be a JSON object' },
  );

export const executionRefSchema = builtAtFirstUse(() => z.object({ executionId: executionIdSchema() }, { error: 'must be a JSON object' }));

/** The `getExecutionEvents` function's payload: as `GET /executions/{id}/events`, with the invoke path's longer wait. */
export const executionEventsSchema = (maxWaitMs: number) =>
  z.object(
    { executionId: executionIdSchema(), after: z._default(integerInRange(-1, 2_147_483_647), -1), waitMs: z._default(integerInRange(0, maxWaitMs), 0) },
    { error: 'must be a JSON object' },
  );

/** The `saveFlow` function's payload: `{flowId, definition}` (the definition is checked by the catalog). */
export const saveFlowSchema = builtAtFirstUse(() => z.object({ flowId: flowIdSchema, definition: z.unknown() }, { error: 'must be a JSON object' }));

/** The largest signal payload, serialised. */
export const MAX_SIGNAL_PAYLOAD_BYTES = 256 * 1024;

const signalNameSchema = builtAtFirstUse(() => z.string({ error: missingOr('must be a string') }).check(z.regex(SIGNAL_NAME_PATTERN, { error: 'must match [A-Za-z0-9_.:-]{1,128}' })));

const signalFields = () => ({
  payload: z.optional(
    z.unknown().check(
      z.refine((payload) => Buffer.byteLength(JSON.stringify(payload) ?? '') <= MAX_SIGNAL_PAYLOAD_BYTES, { error: `must be at most ${MAX_SIGNAL_PAYLOAD_BYTES} bytes of JSON` }),
    ),
  ),
  signalId: z.optional(boundedString(256)),
});

/** `{executionId, signal}`: the path of `POST /executions/{executionId}/signals/{signal}`. */
export const signalRefSchema = builtAtFirstUse(() => z.object({ executionId: executionIdSchema(), signal: signalNameSchema() }, { error: 'must be a JSON object' }));
/** The body of `POST /executions/{executionId}/signals/{signal}`. */
export const signalBodySchema = builtAtFirstUse(() => z.object(signalFields(), { error: 'must be a JSON object' }));
/** The `sendSignal` function's payload. */
export const sendSignalSchema = builtAtFirstUse(() => z.object({ executionId: executionIdSchema(), signal: signalNameSchema(), ...signalFields() }, { error: 'must be a JSON object' }));

export const redriveExecutionSchema = (maxWaitMs: number) =>
  z.object({ executionId: executionIdSchema(), waitMs: z._default(integerInRange(0, maxWaitMs), 0) }, { error: 'must be a JSON object' });

/** The body of `POST /executions/{id}/redrive`: nothing yet, but an object. */
export const redriveBodySchema = builtAtFirstUse(() => z.object({}, { error: 'must be a JSON object' }));

export const cancelExecutionSchema = builtAtFirstUse(() => z.object(
  { executionId: executionIdSchema(), reason: z.optional(z.string({ error: 'must be a string' }).check(z.maxLength(1_000, { error: 'must be at most 1000 characters' }))) },
  { error: 'must be a JSON object' },
));

/** A query-string integer in [min, max], `fallback` when absent. */
const queryInteger = (min: number, max: number, fallback: number) =>
  z.pipe(
    z.pipe(z._default(z.string().check(z.regex(/^-?\d{1,16}$/, { error: 'must be an integer' })), String(fallback)), z.transform(Number)),
    z.number().check(z.minimum(min, { error: `must be at least ${min}` }), z.maximum(max, { error: `must be at most ${max}` })),
  );

/** `?waitMs=` of the routes that may wait for an execution's end (start, redrive). */
export const waitQuerySchema = builtAtFirstUse(() => z.object({ waitMs: queryInteger(0, HTTP_WAIT_MAX_MS, 0) }));

export const startBodySchema = builtAtFirstUse(() => z.object(
  { input: z.optional(z.unknown()), idempotencyKey: z.optional(idempotencyKeySchema()) },
  { error: 'must be a JSON object' },
));

const pageFields = () => ({
  limit: queryInteger(1, 100, 20),
  cursor: z.optional(z.string().check(z.maxLength(512, { error: 'must be at most 512 characters' }))),
});

export const listQuerySchema = builtAtFirstUse(() => z.object(pageFields()));

/** `GET /flows/{flowId}?version=`: one stored version (the console draws an execution's pinned one); the newest without it. */
export const flowVersionQuerySchema = builtAtFirstUse(() => z.object({
  version: z.optional(
    z.pipe(
      z.pipe(z.string().check(z.regex(/^\d{1,10}$/, { error: 'must be a positive integer' })), z.transform(Number)),
      z.number().check(z.minimum(1, { error: 'must be at least 1' }), z.maximum(2_147_483_647, { error: 'must be at most 2147483647' })),
    ),
  ),
}));

/** `GET /executions/{id}/children`: a page, of one node's children when `nodeId` is given. */
export const childrenQuerySchema = builtAtFirstUse(() => z.object({
  ...pageFields(),
  nodeId: z.optional(z.string().check(z.regex(FLOW_ID_PATTERN, { error: ID_PROBLEM }))),
}));

export const eventsQuerySchema = builtAtFirstUse(() => z.object({
  after: queryInteger(-1, 2_147_483_647, -1),
  waitMs: queryInteger(0, HTTP_WAIT_MAX_MS, 0),
}));

/** What a schedule tick carries: the flow, its input, and the tick's fire time (EventBridge `time`). */
export const scheduledTickSchema = builtAtFirstUse(() => z.object(
  {
    flowId: flowIdSchema,
    input: z.optional(z.unknown()),
    time: z.string({ error: missingOr('must be an ISO-8601 time') }).check(z.iso.datetime({ error: 'must be an ISO-8601 time' })),
  },
  { error: 'must be a JSON object' },
));

/**
 * The execution janitor's payload: limits of one's own, or none (the fields of an EventBridge
 * scheduled event are ignored).
 */
export const sweepExecutionsSchema = builtAtFirstUse(() => z.object(
  {
    batchSize: z._default(integerInRange(1, 5_000), DEFAULT_SWEEP_LIMITS.batchSize),
    maxBatches: z._default(integerInRange(1, 1_000), DEFAULT_SWEEP_LIMITS.maxBatches),
  },
  { error: 'must be a JSON object' },
));
