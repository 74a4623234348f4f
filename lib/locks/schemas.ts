import * as z from 'zod';

export const LOCK_KEY_MAX_LENGTH = 512;
export const LOCK_TTL_MAX_MS = 86_400_000;
/** The longest wait on the library and direct-invoke path (Lambda's own 15-minute limit). */
export const LOCK_WAIT_MAX_MS = 900_000;
/** The longest wait over HTTP: API Gateway answers 503 after 29 s. */
export const HTTP_LOCK_WAIT_MAX_MS = 25_000;

const integerInRange = (min: number, max: number) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number') })
    .int({ error: 'must be an integer' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

export const lockKeySchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, { error: 'must not be empty' })
  .max(LOCK_KEY_MAX_LENGTH, { error: `must be at most ${LOCK_KEY_MAX_LENGTH} characters` });

export const lockIdSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, { error: 'must not be empty' })
  .max(128, { error: 'must be at most 128 characters' });

export const lockTtlMsSchema = integerInRange(1, LOCK_TTL_MAX_MS);

export const waitTimeoutMsSchema = (maxWaitMs: number) => integerInRange(0, maxWaitMs);

const request = <Shape extends z.ZodRawShape>(shape: Shape) => z.object(shape, { error: 'must be a JSON object' });

export const acquireRequestSchema = (maxWaitMs: number = LOCK_WAIT_MAX_MS) =>
  request({ lockKey: lockKeySchema, lockTtlMs: lockTtlMsSchema, waitTimeoutMs: waitTimeoutMsSchema(maxWaitMs) });

export const releaseRequestSchema = request({ lockKey: lockKeySchema, lockId: lockIdSchema });

export const extendRequestSchema = request({ lockKey: lockKeySchema, lockId: lockIdSchema, lockTtlMs: lockTtlMsSchema });

export const inspectRequestSchema = request({ lockKey: lockKeySchema });

export type AcquireRequest = z.output<ReturnType<typeof acquireRequestSchema>>;
export type ReleaseRequest = z.output<typeof releaseRequestSchema>;
export type ExtendRequest = z.output<typeof extendRequestSchema>;
