import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../lib/errors.js';
import { PostgresFlowLockService } from '../lib/locks/PostgresFlowLockService.js';
import type { Pool } from '../lib/db.js';
import { databaseUrl, testPool, uniqueKey, lockRowCount } from './support/stack.js';

let pool: Pool;
let locks: PostgresFlowLockService;
let otherProcess: PostgresFlowLockService;

beforeAll(() => {
  pool = testPool();
  locks = new PostgresFlowLockService({ pool, listenConnectionString: databaseUrl() });
  // A second service on its own pool and listener stands for another Lambda or worker.
  otherProcess = new PostgresFlowLockService({ pool: testPool(), listenConnectionString: databaseUrl() });
});

afterAll(async () => {
  await locks.close();
  await otherProcess.close();
  await pool.end();
});

describe('PostgresFlowLockService', () => {
  it('grants a free key with an unguessable lockId and a fencing token', async () => {
    const key = uniqueKey('free');
    const grant = await locks.acquire(key, 10_000, 0);
    expect(grant.acquired).toBe(true);
    expect(grant.lockId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(grant.fencingToken).toBeGreaterThan(0);
    const second = await locks.acquire(uniqueKey('free'), 10_000, 0);
    expect(second.lockId).not.toBe(grant.lockId);
  });

  it('answers a busy key with acquired false and an empty lockId when waitTimeoutMs is 0', async () => {
    const key = uniqueKey('busy');
    await locks.acquire(key, 10_000, 0);
    expect(await otherProcess.acquire(key, 10_000, 0)).toEqual({ acquired: false, lockId: '' });
  });

  it('gives up on a busy key once waitTimeoutMs has passed', async () => {
    const key = uniqueKey('busy-wait');
    await locks.acquire(key, 10_000, 0);
    const started = performance.now();
    const result = await otherProcess.acquire(key, 10_000, 300);
    expect(result).toEqual({ acquired: false, lockId: '' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
  });

  it('wakes a waiter when the holder releases, long before its poll interval', async () => {
    const key = uniqueKey('wake');
    const slowPoller = new PostgresFlowLockService({ pool, listenConnectionString: databaseUrl(), pollIntervalMs: 20_000 });
    try {
      const holder = await locks.acquire(key, 60_000, 0);
      const waiting = slowPoller.acquire(key, 60_000, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await locks.release(key, holder.lockId);
      const next = await waiting;
      expect(next.acquired).toBe(true);
      expect(next.fencingToken).toBeGreaterThan(holder.fencingToken ?? Infinity);
    } finally {
      await slowPoller.close();
    }
  });

  it('keeps waking waiters after the LISTEN connection is lost', async () => {
    const key = uniqueKey('listener-lost');
    const listenerName = `test-listener-${crypto.randomUUID().slice(0, 8)}`;
    const listenUrl = new URL(databaseUrl());
    listenUrl.searchParams.set('application_name', listenerName);
    const waiterService = new PostgresFlowLockService({ pool, listenConnectionString: listenUrl.toString(), pollIntervalMs: 20_000 });
    const listenerPids = async () =>
      (await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [listenerName])).rows.map((row) => row.pid);
    const eventually = async (condition: () => Promise<boolean>) => {
      while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    try {
      const holder = await locks.acquire(key, 60_000, 0);
      const waiting = waiterService.acquire(key, 60_000, 15_000);
      await eventually(async () => (await listenerPids()).length === 1);
      const [lostPid] = await listenerPids();
      await pool.query('SELECT pg_terminate_backend($1)', [lostPid]);
      await eventually(async () => {
        const pids = await listenerPids();
        return pids.length === 1 && pids[0] !== lostPid;
      });
      await locks.release(key, holder.lockId);
      // Its poll interval is longer than its wait: only a notification on the new connection can wake it.
      expect((await waiting).acquired).toBe(true);
    } finally {
      await waiterService.close();
    }
  });

  it('lets a waiter take over when the lease expires, without a release', async () => {
    const key = uniqueKey('expiry');
    const slowPoller = new PostgresFlowLockService({ pool, listenConnectionString: databaseUrl(), pollIntervalMs: 20_000 });
    try {
      const holder = await locks.acquire(key, 300, 0);
      const next = await slowPoller.acquire(key, 10_000, 10_000);
      expect(next.acquired).toBe(true);
      expect(next.fencingToken).toBeGreaterThan(holder.fencingToken ?? Infinity);
      expect(await locks.release(key, holder.lockId)).toEqual({ released: false });
      expect(await locks.extend(key, holder.lockId, 10_000)).toEqual({ extended: false });
    } finally {
      await slowPoller.close();
    }
  });

  it('releases only for the holding lockId, once', async () => {
    const key = uniqueKey('release');
    const grant = await locks.acquire(key, 10_000, 0);
    expect(await otherProcess.release(key, 'not-the-lock-id')).toEqual({ released: false });
    expect(await otherProcess.release(uniqueKey('unknown'), grant.lockId)).toEqual({ released: false });
    expect((await locks.inspect(key)).held).toBe(true);
    expect(await locks.release(key, grant.lockId)).toEqual({ released: true });
    expect(await locks.release(key, grant.lockId)).toEqual({ released: false });
    expect(await locks.inspect(key)).toEqual({ held: false });
    expect((await otherProcess.acquire(key, 10_000, 0)).acquired).toBe(true);
  });

  it('extends a running lease for the holder only', async () => {
    const key = uniqueKey('extend');
    const grant = await locks.acquire(key, 400, 0);
    expect(await locks.extend(key, 'someone-else', 60_000)).toEqual({ extended: false });
    expect(await locks.extend(key, grant.lockId, 60_000)).toEqual({ extended: true });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const state = await locks.inspect(key);
    expect(state.held).toBe(true);
    expect(Date.parse(state.expiresAt ?? '')).toBeGreaterThan(Date.now() + 50_000);
    expect((await otherProcess.acquire(key, 10_000, 0)).acquired).toBe(false);
  });

  it('inspects the running lease without revealing the lockId', async () => {
    const key = uniqueKey('inspect');
    expect(await locks.inspect(key)).toEqual({ held: false });
    const grant = await locks.acquire(key, 30_000, 0);
    const state = await otherProcess.inspect(key);
    expect(state).toEqual({ held: true, expiresAt: expect.any(String), fencingToken: grant.fencingToken });
    expect(JSON.stringify(state)).not.toContain(grant.lockId);
  });

  it('increases fencing tokens across release, expiry and sweeping of the row', async () => {
    const key = uniqueKey('fencing');
    const tokens: number[] = [];
    const first = await locks.acquire(key, 10_000, 0);
    tokens.push(first.fencingToken ?? NaN);
    await locks.release(key, first.lockId);
    const second = await locks.acquire(key, 100, 0);
    tokens.push(second.fencingToken ?? NaN);
    const third = await otherProcess.acquire(key, 10_000, 5_000);
    tokens.push(third.fencingToken ?? NaN);
    await otherProcess.release(key, third.lockId);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await locks.sweep(1_000)).toBeGreaterThanOrEqual(1);
    expect(await lockRowCount(pool, key)).toBe(0);
    const fourth = await locks.acquire(key, 10_000, 0);
    tokens.push(fourth.fencingToken ?? NaN);
    for (let i = 1; i < tokens.length; i += 1) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] ?? Infinity);
  });

  it('sweeps only rows whose lease ended before the grace period', async () => {
    const held = uniqueKey('sweep-held');
    const released = uniqueKey('sweep-released');
    await locks.acquire(held, 60_000, 0);
    const grant = await locks.acquire(released, 60_000, 0);
    await locks.release(released, grant.lockId);
    await locks.sweep(60_000);
    expect(await lockRowCount(pool, released)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await locks.sweep(1_000);
    expect(await lockRowCount(pool, released)).toBe(0);
    expect(await lockRowCount(pool, held)).toBe(1);
  });

  it('treats the lock key as data, whatever characters it holds', async () => {
    const key = `${uniqueKey('chars')}'; DROP TABLE fireflow_locks; -- ✓ \u{1F512} "quoted" \\ %_`;
    const grant = await locks.acquire(key, 10_000, 0);
    expect(grant.acquired).toBe(true);
    expect((await locks.inspect(key)).held).toBe(true);
    expect(await locks.release(key, grant.lockId)).toEqual({ released: true });
  });

  describe('rejects bad arguments with a ValidationError naming the field, writing nothing', () => {
    const key = uniqueKey('invalid');
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['lockTtlMs 0', () => locks.acquire(key, 0, 0), 'lockTtlMs'],
      ['lockTtlMs negative', () => locks.acquire(key, -5, 0), 'lockTtlMs'],
      ['lockTtlMs fractional', () => locks.acquire(key, 1.5, 0), 'lockTtlMs'],
      ['lockTtlMs over a day', () => locks.acquire(key, 86_400_001, 0), 'lockTtlMs'],
      ['lockTtlMs NaN', () => locks.acquire(key, Number.NaN, 0), 'lockTtlMs'],
      ['lockTtlMs missing', () => locks.acquire(key, undefined as unknown as number, 0), 'lockTtlMs'],
      ['lockTtlMs a string', () => locks.acquire(key, '1000' as unknown as number, 0), 'lockTtlMs'],
      ['waitTimeoutMs negative', () => locks.acquire(key, 1000, -1), 'waitTimeoutMs'],
      ['waitTimeoutMs over 900000', () => locks.acquire(key, 1000, 900_001), 'waitTimeoutMs'],
      ['waitTimeoutMs Infinity', () => locks.acquire(key, 1000, Infinity), 'waitTimeoutMs'],
      ['lockKey empty', () => locks.acquire('', 1000, 0), 'lockKey'],
      ['lockKey too long', () => locks.acquire('k'.repeat(513), 1000, 0), 'lockKey'],
      ['lockKey not a string', () => locks.acquire(42 as unknown as string, 1000, 0), 'lockKey'],
      ['lockKey with a NUL character', () => locks.acquire(`${key}\u0000`, 1000, 0), 'lockKey'],
      ['release with a NUL in lockId', () => locks.release(key, 'a\u0000b'), 'lockId'],
      ['release without lockId', () => locks.release(key, ''), 'lockId'],
      ['extend with lockTtlMs 0', () => locks.extend(key, 'id', 0), 'lockTtlMs'],
      ['inspect an empty key', () => locks.inspect(''), 'lockKey'],
    ];
    it.each(cases)('%s', async (_label, call, field) => {
      const error = await call().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details?.map((problem) => problem.field)).toContain(field);
      expect((error as ValidationError).message).toContain(field);
      expect(await lockRowCount(pool, key)).toBe(0);
    });
  });

  it('accepts the boundary values', async () => {
    const grant = await locks.acquire('k'.repeat(502) + uniqueKey('').slice(-10), 86_400_000, 0);
    expect(grant.acquired).toBe(true);
    expect((await locks.acquire(uniqueKey('min'), 1, 0)).acquired).toBe(true);
  });
});
