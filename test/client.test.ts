import { describe, expect, it } from 'vitest';
import { LambdaFlowLockService } from '../lib/client/LambdaFlowLockService.js';
import { invokeFireflow } from '../lib/client/invoke.js';
import { ValidationError } from '../lib/errors.js';
import { lambdaClient, uniqueKey } from './support/stack.js';

// Other Lambdas' view of FireFlow: the real @aws-sdk/client-lambda against serverless-offline.
const locks = () => new LambdaFlowLockService({ lambdaClient: lambdaClient(), functionPrefix: 'fireflow-dev-' });

describe('LambdaFlowLockService', () => {
  it('acquires, extends and releases through the lock functions', async () => {
    const lockKey = uniqueKey('client');
    const service = locks();
    const grant = await service.acquire(lockKey, 30_000, 0);
    expect(grant).toEqual({ acquired: true, lockId: expect.any(String), fencingToken: expect.any(Number) });
    expect(await service.acquire(lockKey, 30_000, 0)).toEqual({ acquired: false, lockId: '' });
    expect(await service.extend(lockKey, grant.lockId, 60_000)).toEqual({ extended: true });
    expect(await service.release(lockKey, grant.lockId)).toEqual({ released: true });
    expect(await service.release(lockKey, grant.lockId)).toEqual({ released: false });
  });

  it('hands a waiting caller the lock when the holder releases', async () => {
    const lockKey = uniqueKey('client-wait');
    const holder = await locks().acquire(lockKey, 60_000, 0);
    const waiting = locks().acquire(lockKey, 60_000, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await locks().release(lockKey, holder.lockId);
    expect((await waiting).acquired).toBe(true);
  });

  it('throws the remote ValidationError, typed, with its fields', async () => {
    const error = await locks()
      .acquire(uniqueKey('client-invalid'), 0, -1)
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details?.map((problem) => problem.field)).toEqual(['lockTtlMs', 'waitTimeoutMs']);
  });
});

it('types a validation failure of any FireFlow function, whatever the payload', async () => {
  const error = await invokeFireflow(lambdaClient(), 'fireflow-dev-releaseLock', 'not an object').then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).details).toEqual([{ field: '(input)', message: 'must be a JSON object' }]);
});
