import * as z from 'zod/mini';

export const LOCK_KEY_MAX_LENGTH = 512;
export const LOCK_TTL_MAX_MS = 86_400_000;
/** The longest wait on the library and direct-invoke path (Lambda's own 15-minute limit). */
export const LOCK_WAIT_MAX_MS = 900_000;
/** The longest wait over HTTP: API Gateway gives up after 29 s. */
export const HTTP_LOCK_WAIT_MAX_MS = 25_000;

const missingOr = (problem: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : problem);

const integerInRange = (min: number, max: number) =>
  z.int({ error: missingOr('must be an integer') }).check(
    z.minimum(min, { error: `must be at least ${min}` }),
    z.maximum(max, { error: `must be at most ${max}` }),
  );

const boundedString = (maxLength: number) =>
  z.string({ error: missingOr('must be a string') }).check(
    z.minLength(1, { error: 'must not be empty' }),
    z.maxLength(maxLength, { error: `must be at most ${maxLength} characters` }),
    // PostgreSQL text cannot hold U+0000.
    z.refine((value: string) => !value.includes('\u0000'), { error: 'must not contain the NUL character' }),
  );

export const lockKeySchema = boundedString(LOCK_KEY_MAX_LENGTH);
export const lockIdSchema = boundedString(128);
export const lockTtlMsSchema = integerInRange(1, LOCK_TTL_MAX_MS);
export const waitTimeoutMsSchema = (maxWaitMs: number) => integerInRange(0, maxWaitMs);

const request = <Shape extends z.core.$ZodShape>(shape: Shape) => z.object(shape, { error: 'must be a JSON object' });

export const acquireRequestSchema = (maxWaitMs: number = LOCK_WAIT_MAX_MS) =>
  request({ lockKey: lockKeySchema, lockTtlMs: lockTtlMsSchema, waitTimeoutMs: waitTimeoutMsSchema(maxWaitMs) });

export const releaseRequestSchema = request({ lockKey: lockKeySchema, lockId: lockIdSchema });

export const extendRequestSchema = request({ lockKey: lockKeySchema, lockId: lockIdSchema, lockTtlMs: lockTtlMsSchema });

export const inspectRequestSchema = request({ lockKey: lockKeySchema });
