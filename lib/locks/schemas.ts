import * as z from 'zod/mini';
import { boundedString, integerInRange } from '../validation.js';

export const LOCK_KEY_MAX_LENGTH = 512;
export const LOCK_TTL_MAX_MS = 86_400_000;
/** The longest wait on the library and direct-invoke path (Lambda's own 15-minute limit). */
export const LOCK_WAIT_MAX_MS = 900_000;
/** The longest wait over HTTP: API Gateway gives up after 29 s. */
export const HTTP_LOCK_WAIT_MAX_MS = 25_000;

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
