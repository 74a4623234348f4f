import { objectBody, httpHandler } from '../lib/lambda/handlers.js';
import { lambdaLocks } from '../lib/lambda/services.js';
import {
  acquireRequestFields,
  extendRequestFields,
  HTTP_LOCK_WAIT_MAX_MS,
  inspectRequestFields,
  releaseRequestFields,
} from '../lib/locks/schemas.js';
import { parseFields } from '../lib/validation.js';

/** POST /locks/{lockKey}/acquire {lockTtlMs, waitTimeoutMs} */
export const acquire = httpHandler(async ({ path, body }) => {
  const request = parseFields(acquireRequestFields(HTTP_LOCK_WAIT_MAX_MS), { ...objectBody(body), lockKey: path.lockKey });
  return { body: await lambdaLocks().acquire(request.lockKey, request.lockTtlMs, request.waitTimeoutMs) };
});

/** POST /locks/{lockKey}/release {lockId} */
export const release = httpHandler(async ({ path, body }) => {
  const request = parseFields(releaseRequestFields, { ...objectBody(body), lockKey: path.lockKey });
  return { body: await lambdaLocks().release(request.lockKey, request.lockId) };
});

/** POST /locks/{lockKey}/extend {lockId, lockTtlMs} */
export const extend = httpHandler(async ({ path, body }) => {
  const request = parseFields(extendRequestFields, { ...objectBody(body), lockKey: path.lockKey });
  return { body: await lambdaLocks().extend(request.lockKey, request.lockId, request.lockTtlMs) };
});

/** GET /locks/{lockKey} → {lockKey, held, expiresAt?, fencingToken?}; never the lockId. */
export const inspect = httpHandler(async ({ path }) => {
  const { lockKey } = parseFields(inspectRequestFields, { lockKey: path.lockKey });
  return { body: { lockKey, ...(await lambdaLocks().inspect(lockKey)) } };
});
