import { invokeHandler } from '../lib/lambda/handlers.js';
import { lambdaLocks } from '../lib/lambda/services.js';
import { acquireRequestFields, extendRequestFields, releaseRequestFields } from '../lib/locks/schemas.js';
import { parseFields } from '../lib/validation.js';

/** acquireLock: {lockKey, lockTtlMs, waitTimeoutMs} → {acquired, lockId, fencingToken?} */
export const acquireLock = invokeHandler(async (payload) => {
  const request = parseFields(acquireRequestFields(), payload);
  return lambdaLocks().acquire(request.lockKey, request.lockTtlMs, request.waitTimeoutMs);
});

/** releaseLock: {lockKey, lockId} → {released} */
export const releaseLock = invokeHandler(async (payload) => {
  const request = parseFields(releaseRequestFields, payload);
  return lambdaLocks().release(request.lockKey, request.lockId);
});

/** extendLock: {lockKey, lockId, lockTtlMs} → {extended} */
export const extendLock = invokeHandler(async (payload) => {
  const request = parseFields(extendRequestFields, payload);
  return lambdaLocks().extend(request.lockKey, request.lockId, request.lockTtlMs);
});

/** lockJanitor (scheduled): deletes lock rows whose lease ended long ago. */
export const lockJanitor = invokeHandler(async () => ({ deleted: await lambdaLocks().sweep() }));
