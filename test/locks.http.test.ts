import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../lib/db.js';
import { http, testPool, uniqueKey, lockRowCount } from './support/stack.js';

let pool: Pool;
beforeAll(() => {
  pool = testPool(2);
});
afterAll(() => pool.end());

const path = (lockKey: string, action?: string) => `/locks/${encodeURIComponent(lockKey)}${action ? `/${action}` : ''}`;

describe('lock routes over the HTTP API (serverless-offline)', () => {
  it('acquires, inspects, extends and releases a lock', async () => {
    const key = uniqueKey('http/with spaces?&#%');
    const grant = await http('POST', path(key, 'acquire'), { json: { lockTtlMs: 30_000, waitTimeoutMs: 0 } });
    expect(grant.status).toBe(200);
    expect(grant.body).toEqual({ acquired: true, lockId: expect.any(String), fencingToken: expect.any(Number) });

    const busy = await http('POST', path(key, 'acquire'), { json: { lockTtlMs: 30_000, waitTimeoutMs: 0 } });
    expect(busy).toEqual({ status: 200, body: { acquired: false, lockId: '' } });

    const state = await http('GET', path(key));
    expect(state).toEqual({
      status: 200,
      body: { lockKey: key, held: true, expiresAt: expect.any(String), fencingToken: grant.body.fencingToken },
    });
    expect(JSON.stringify(state.body)).not.toContain(grant.body.lockId);

    expect(await http('POST', path(key, 'extend'), { json: { lockId: grant.body.lockId, lockTtlMs: 60_000 } })).toEqual({
      status: 200,
      body: { extended: true },
    });
    expect(await http('POST', path(key, 'release'), { json: { lockId: 'wrong' } })).toEqual({ status: 200, body: { released: false } });
    expect(await http('POST', path(key, 'release'), { json: { lockId: grant.body.lockId } })).toEqual({ status: 200, body: { released: true } });
    expect(await http('POST', path(key, 'release'), { json: { lockId: grant.body.lockId } })).toEqual({ status: 200, body: { released: false } });
    expect(await http('GET', path(key))).toEqual({ status: 200, body: { lockKey: key, held: false } });
  });

  it('hands the lock to an HTTP waiter when the holder releases', async () => {
    const key = uniqueKey('http-wait');
    const holder = await http('POST', path(key, 'acquire'), { json: { lockTtlMs: 60_000, waitTimeoutMs: 0 } });
    const waiting = http('POST', path(key, 'acquire'), { json: { lockTtlMs: 60_000, waitTimeoutMs: 20_000 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await http('POST', path(key, 'release'), { json: { lockId: holder.body.lockId } });
    const next = await waiting;
    expect(next.body.acquired).toBe(true);
    expect(next.body.fencingToken).toBeGreaterThan(holder.body.fencingToken);
  });

  it('answers GET /health with ok', async () => {
    expect(await http('GET', '/health')).toEqual({ status: 200, body: { ok: true } });
  });

  describe('bad input gets a 4xx naming the problem and writes nothing', () => {
    const acquire = (key: string) => path(key, 'acquire');
    type Case = [label: string, status: number, code: string, field: string | undefined, send: (key: string) => ReturnType<typeof http>];
    const cases: Case[] = [
      ['acquire without a body', 400, 'ValidationError', 'lockTtlMs', (k) => http('POST', acquire(k))],
      ['acquire with lockTtlMs 0', 400, 'ValidationError', 'lockTtlMs', (k) => http('POST', acquire(k), { json: { lockTtlMs: 0, waitTimeoutMs: 0 } })],
      ['acquire with lockTtlMs negative', 400, 'ValidationError', 'lockTtlMs', (k) => http('POST', acquire(k), { json: { lockTtlMs: -1, waitTimeoutMs: 0 } })],
      ['acquire with lockTtlMs fractional', 400, 'ValidationError', 'lockTtlMs', (k) => http('POST', acquire(k), { json: { lockTtlMs: 10.5, waitTimeoutMs: 0 } })],
      ['acquire with lockTtlMs a string', 400, 'ValidationError', 'lockTtlMs', (k) => http('POST', acquire(k), { json: { lockTtlMs: '1000', waitTimeoutMs: 0 } })],
      ['acquire with lockTtlMs null', 400, 'ValidationError', 'lockTtlMs', (k) => http('POST', acquire(k), { json: { lockTtlMs: null, waitTimeoutMs: 0 } })],
      ['acquire with lockTtlMs over a day', 400, 'ValidationError', 'lockTtlMs', (k) => http('POST', acquire(k), { json: { lockTtlMs: 86_400_001, waitTimeoutMs: 0 } })],
      ['acquire without waitTimeoutMs', 400, 'ValidationError', 'waitTimeoutMs', (k) => http('POST', acquire(k), { json: { lockTtlMs: 1000 } })],
      ['acquire waiting past 25 s', 400, 'ValidationError', 'waitTimeoutMs', (k) => http('POST', acquire(k), { json: { lockTtlMs: 1000, waitTimeoutMs: 25_001 } })],
      ['acquire with waitTimeoutMs negative', 400, 'ValidationError', 'waitTimeoutMs', (k) => http('POST', acquire(k), { json: { lockTtlMs: 1000, waitTimeoutMs: -1 } })],
      ['acquire with an array body', 400, 'ValidationError', 'body', (k) => http('POST', acquire(k), { json: [1, 2] })],
      ['acquire with a string body', 400, 'ValidationError', 'body', (k) => http('POST', acquire(k), { json: 'lock' })],
      ['acquire with the body false', 400, 'ValidationError', 'body', (k) => http('POST', acquire(k), { rawBody: 'false', contentType: 'application/json' })],
      ['acquire with the body 0', 400, 'ValidationError', 'body', (k) => http('POST', acquire(k), { rawBody: '0', contentType: 'application/json' })],
      ['acquire with malformed JSON', 400, 'ValidationError', 'body', (k) => http('POST', acquire(k), { rawBody: '{"lockTtlMs":', contentType: 'application/json' })],
      ['acquire with a text body', 415, 'UnsupportedMediaTypeError', undefined, (k) => http('POST', acquire(k), { rawBody: 'lockTtlMs=1', contentType: 'text/plain' })],
      ['acquire with a form body', 415, 'UnsupportedMediaTypeError', undefined, (k) => http('POST', acquire(k), { rawBody: 'a=1', contentType: 'application/x-www-form-urlencoded' })],
      ['acquire with a body over 256 KiB', 413, 'PayloadTooLargeError', undefined, (k) => http('POST', acquire(k), { json: { lockTtlMs: 1000, waitTimeoutMs: 0, pad: 'x'.repeat(256 * 1024) } })],
      ['acquire with a key over 512 characters', 400, 'ValidationError', 'lockKey', () => http('POST', acquire('k'.repeat(513)), { json: { lockTtlMs: 1000, waitTimeoutMs: 0 } })],
      ['acquire with a NUL in the key', 400, 'ValidationError', 'lockKey', (k) => http('POST', acquire(`${k}\u0000`), { json: { lockTtlMs: 1000, waitTimeoutMs: 0 } })],
      ['release with a NUL in lockId', 400, 'ValidationError', 'lockId', (k) => http('POST', path(k, 'release'), { json: { lockId: 'a\u0000' } })],
      ['release without lockId', 400, 'ValidationError', 'lockId', (k) => http('POST', path(k, 'release'), { json: {} })],
      ['release with a numeric lockId', 400, 'ValidationError', 'lockId', (k) => http('POST', path(k, 'release'), { json: { lockId: 7 } })],
      ['release with malformed JSON', 400, 'ValidationError', 'body', (k) => http('POST', path(k, 'release'), { rawBody: '{', contentType: 'application/json' })],
      ['extend without lockTtlMs', 400, 'ValidationError', 'lockTtlMs', (k) => http('POST', path(k, 'extend'), { json: { lockId: 'x' } })],
      ['extend with lockTtlMs 0', 400, 'ValidationError', 'lockTtlMs', (k) => http('POST', path(k, 'extend'), { json: { lockId: 'x', lockTtlMs: 0 } })],
      ['extend without lockId', 400, 'ValidationError', 'lockId', (k) => http('POST', path(k, 'extend'), { json: { lockTtlMs: 1000 } })],
      ['inspect a key over 512 characters', 400, 'ValidationError', 'lockKey', () => http('GET', path('k'.repeat(513)))],
    ];
    it.each(cases)('%s → %i', async (_label, status, code, field, send) => {
      const key = uniqueKey('http-invalid');
      const reply = await send(key);
      expect(reply.status).toBe(status);
      expect(reply.body.error.code).toBe(code);
      expect(reply.body.error.message).toEqual(expect.any(String));
      if (field) {
        expect(reply.body.error.message).toContain(field);
        expect(reply.body.error.details.map((problem: { field: string }) => problem.field)).toContain(field);
      }
      expect(await lockRowCount(pool, key)).toBe(0);
    });
  });
});
