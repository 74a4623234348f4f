import { integerField, textField } from '../validation.js';

export const LOCK_KEY_MAX_LENGTH = 512;
export const LOCK_TTL_MAX_MS = 86_400_000;
/** The longest wait on the library and direct-invoke path (Lambda's own 15-minute limit). */
export const LOCK_WAIT_MAX_MS = 900_000;
/** The longest wait over HTTP: API Gateway gives up after 29 s. */
export const HTTP_LOCK_WAIT_MAX_MS = 25_000;

// The lock requests, checked with parseFields (plain code, not zod: see lib/validation.ts).

const lockKey = textField(LOCK_KEY_MAX_LENGTH);
const lockId = textField(128);
const lockTtlMs = integerField(1, LOCK_TTL_MAX_MS);

export const acquireRequestFields = (maxWaitMs: number = LOCK_WAIT_MAX_MS) => ({ lockKey, lockTtlMs, waitTimeoutMs: integerField(0, maxWaitMs) });

export const releaseRequestFields = { lockKey, lockId };

export const extendRequestFields = { lockKey, lockId, lockTtlMs };

export const inspectRequestFields = { lockKey };
