import { invokeHandler } from '../lib/lambda/handlers.js';
import { lambdaLocks } from '../lib/lambda/services.js';
import { acquireRequestSchema, extendRequestSchema, releaseRequestSchema } from '../lib/locks/schemas.js';
import { parseInput } from '../lib/validation.js';

const acquireOverInvoke = acquireRequestSchema();

/** acquireLock: {lockKey, lockTtlMs, waitTimeoutMs} → {acquired, lockId, fencingToken?} */
export const acquireLock = invokeHandler(async (payload) => {
  const request = parseInput(acquireOverInvoke, payload);
  return lambdaLocks().acquire(request.lockKey, request.lockTtlMs, request.waitTimeoutMs);
});

/** releaseLock: {lockKey, lockId} → {released} */
export const releaseLock = invokeHandler(async (payload) => {
  const request = parseInput(releaseRequestSchema, payload);
  return lambdaLocks().release(request.lockKey, request.lockId);
});

/** extendLock: {lockKey, lockId, lockTtlMs} → {extended} */
export const extendLock = invokeHandler(async (payload) => {
  const request = parseInput(extendRequestSchema, payload);
  return lambdaLocks().extend(request.lockKey, request.lockId, request.lockTtlMs);
});

/** lockJanitor (scheduled): deletes lock rows whose lease ended long ago. */
export const lockJanitor = invokeHandler(async () => ({ deleted: await lambdaLocks().sweep() }));
