import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../lib/db.js';
import { invoke, testPool, uniqueKey, lockRowCount } from './support/stack.js';

let pool: Pool;
beforeAll(() => {
  pool = testPool(2);
});
afterAll(() => pool.end());

describe('lock functions over direct invoke (@aws-sdk/client-lambda → serverless-offline)', () => {
  it('acquires, extends and releases through acquireLock, extendLock and releaseLock', async () => {
    const lockKey = uniqueKey('invoke');
    const grant = await invoke('acquireLock', { lockKey, lockTtlMs: 30_000, waitTimeoutMs: 0 });
    expect(grant.functionError).toBeUndefined();
    expect(grant.payload).toEqual({ acquired: true, lockId: expect.any(String), fencingToken: expect.any(Number) });
    expect((await invoke('acquireLock', { lockKey, lockTtlMs: 30_000, waitTimeoutMs: 0 })).payload).toEqual({ acquired: false, lockId: '' });
    expect((await invoke('extendLock', { lockKey, lockId: grant.payload.lockId, lockTtlMs: 5_000 })).payload).toEqual({ extended: true });
    expect((await invoke('releaseLock', { lockKey, lockId: 'nope' })).payload).toEqual({ released: false });
    expect((await invoke('releaseLock', { lockKey, lockId: grant.payload.lockId })).payload).toEqual({ released: true });
    expect((await invoke('releaseLock', { lockKey, lockId: grant.payload.lockId })).payload).toEqual({ released: false });
    expect((await invoke('extendLock', { lockKey, lockId: grant.payload.lockId, lockTtlMs: 5_000 })).payload).toEqual({ extended: false });
  });

  it('waits in acquireLock until the holder releases', async () => {
    const lockKey = uniqueKey('invoke-wait');
    const holder = await invoke('acquireLock', { lockKey, lockTtlMs: 60_000, waitTimeoutMs: 0 });
    const waiting = invoke('acquireLock', { lockKey, lockTtlMs: 60_000, waitTimeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await invoke('releaseLock', { lockKey, lockId: holder.payload.lockId });
    const next = await waiting;
    expect(next.payload.acquired).toBe(true);
    expect(next.payload.fencingToken).toBeGreaterThan(holder.payload.fencingToken);
  });

  it('runs the janitor', async () => {
    const reply = await invoke('lockJanitor', {});
    expect(reply.functionError).toBeUndefined();
    expect(reply.payload.deleted).toEqual(expect.any(Number));
  });

  describe('bad input fails the invocation with errorType ValidationError and writes nothing', () => {
    type Case = [label: string, fn: string, payload: (lockKey: string) => unknown, field: string];
    const cases: Case[] = [
      ['acquire without lockTtlMs', 'acquireLock', (lockKey) => ({ lockKey, waitTimeoutMs: 0 }), 'lockTtlMs'],
      ['acquire with lockTtlMs 0', 'acquireLock', (lockKey) => ({ lockKey, lockTtlMs: 0, waitTimeoutMs: 0 }), 'lockTtlMs'],
      ['acquire with lockTtlMs negative', 'acquireLock', (lockKey) => ({ lockKey, lockTtlMs: -100, waitTimeoutMs: 0 }), 'lockTtlMs'],
      ['acquire with lockTtlMs fractional', 'acquireLock', (lockKey) => ({ lockKey, lockTtlMs: 0.5, waitTimeoutMs: 0 }), 'lockTtlMs'],
      ['acquire with lockTtlMs a string', 'acquireLock', (lockKey) => ({ lockKey, lockTtlMs: '5000', waitTimeoutMs: 0 }), 'lockTtlMs'],
      ['acquire with lockTtlMs over a day', 'acquireLock', (lockKey) => ({ lockKey, lockTtlMs: 86_400_001, waitTimeoutMs: 0 }), 'lockTtlMs'],
      ['acquire without waitTimeoutMs', 'acquireLock', (lockKey) => ({ lockKey, lockTtlMs: 1000 }), 'waitTimeoutMs'],
      ['acquire waiting past 900 s', 'acquireLock', (lockKey) => ({ lockKey, lockTtlMs: 1000, waitTimeoutMs: 900_001 }), 'waitTimeoutMs'],
      ['acquire with waitTimeoutMs a boolean', 'acquireLock', (lockKey) => ({ lockKey, lockTtlMs: 1000, waitTimeoutMs: true }), 'waitTimeoutMs'],
      ['acquire without lockKey', 'acquireLock', () => ({ lockTtlMs: 1000, waitTimeoutMs: 0 }), 'lockKey'],
      ['acquire with an empty lockKey', 'acquireLock', () => ({ lockKey: '', lockTtlMs: 1000, waitTimeoutMs: 0 }), 'lockKey'],
      ['acquire with a lockKey over 512', 'acquireLock', () => ({ lockKey: 'k'.repeat(513), lockTtlMs: 1000, waitTimeoutMs: 0 }), 'lockKey'],
      ['acquire with an object lockKey', 'acquireLock', () => ({ lockKey: { $ne: 1 }, lockTtlMs: 1000, waitTimeoutMs: 0 }), 'lockKey'],
      ['acquire with an array payload', 'acquireLock', () => [1], '(input)'],
      ['acquire with a null payload', 'acquireLock', () => null, '(input)'],
      ['acquire with a NUL in lockKey', 'acquireLock', (lockKey) => ({ lockKey: `${lockKey}\u0000`, lockTtlMs: 1000, waitTimeoutMs: 0 }), 'lockKey'],
      ['release with a NUL in lockId', 'releaseLock', (lockKey) => ({ lockKey, lockId: '\u0000' }), 'lockId'],
      ['release without lockId', 'releaseLock', (lockKey) => ({ lockKey }), 'lockId'],
      ['release with a numeric lockId', 'releaseLock', (lockKey) => ({ lockKey, lockId: 1 }), 'lockId'],
      ['release without lockKey', 'releaseLock', () => ({ lockId: 'x' }), 'lockKey'],
      ['extend with lockTtlMs 0', 'extendLock', (lockKey) => ({ lockKey, lockId: 'x', lockTtlMs: 0 }), 'lockTtlMs'],
      ['extend without lockId', 'extendLock', (lockKey) => ({ lockKey, lockTtlMs: 1000 }), 'lockId'],
    ];
    it.each(cases)('%s', async (_label, fn, payload, field) => {
      const lockKey = uniqueKey('invoke-invalid');
      const reply = await invoke(fn, payload(lockKey));
      expect(reply.functionError).toBeDefined();
      expect(reply.payload.errorType).toBe('ValidationError');
      expect(reply.payload.errorMessage).toContain(field);
      expect(await lockRowCount(pool, lockKey)).toBe(0);
    });
  });
});
