import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Pool } from '../lib/db.js';
import { PostgresFlowLockService } from '../lib/locks/PostgresFlowLockService.js';
import { databaseUrl, testPool, uniqueKey } from './support/stack.js';

const CLIENTS = 8;
const ACQUISITIONS_PER_CLIENT = 25;

interface Hold {
  client: number;
  fencingToken: number;
  start: number;
  end: number;
}

const pools: Pool[] = [];
const services: PostgresFlowLockService[] = [];

beforeAll(() => {
  // Each client stands for a separate Lambda: its own pool and its own LISTEN connection.
  for (let i = 0; i < CLIENTS; i += 1) {
    const pool = testPool(1);
    pools.push(pool);
    services.push(new PostgresFlowLockService({ pool, listenConnectionString: databaseUrl() }));
  }
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.close()));
  await Promise.all(pools.map((pool) => pool.end()));
});

it(`keeps ${CLIENTS} clients × ${ACQUISITIONS_PER_CLIENT} acquisitions on one key mutually exclusive`, async () => {
  const key = uniqueKey('stress');
  let counter = 0;
  const holds: Hold[] = [];

  async function client(index: number, service: PostgresFlowLockService): Promise<void> {
    for (let n = 0; n < ACQUISITIONS_PER_CLIENT; n += 1) {
      const grant = await service.acquire(key, 10_000, 60_000);
      expect(grant.acquired).toBe(true);
      const start = performance.now();
      // A read-modify-write with a pause in the middle: any overlap of two holders loses an update.
      const seen = counter;
      await new Promise((resolve) => setImmediate(resolve));
      counter = seen + 1;
      const end = performance.now();
      holds.push({ client: index, fencingToken: grant.fencingToken ?? NaN, start, end });
      expect(await service.release(key, grant.lockId)).toEqual({ released: true });
    }
  }

  await Promise.all(services.map((service, index) => client(index, service)));

  expect(counter).toBe(CLIENTS * ACQUISITIONS_PER_CLIENT);
  expect(holds).toHaveLength(CLIENTS * ACQUISITIONS_PER_CLIENT);
  const inHoldOrder = [...holds].sort((a, b) => a.start - b.start);
  for (let i = 1; i < inHoldOrder.length; i += 1) {
    const previous = inHoldOrder[i - 1]!;
    const current = inHoldOrder[i]!;
    expect(current.start).toBeGreaterThanOrEqual(previous.end);
    expect(current.fencingToken).toBeGreaterThan(previous.fencingToken);
  }
  expect(new Set(holds.map((hold) => hold.client)).size).toBe(CLIENTS);
});

it('lets at most LOCK_LISTEN_MAX_CONNECTIONS waiters listen at once; the others poll, and every one acquires in turn', async () => {
  const pool = testPool(6);
  const heldSlots = async (applicationName?: string) =>
    (
      await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
          WHERE l.locktype = 'advisory' AND l.classid = 1179012171 AND l.granted AND ($1::text IS NULL OR a.application_name = $1)`,
        [applicationName ?? null],
      )
    ).rows[0]?.n ?? 0;
  // Slots are shared by every listener on the database, other suites' included: these waiters
  // may take at most 5 more than are held now.
  const max = (await heldSlots()) + 5;
  const applicationName = `listen-cap-${Date.now()}`;
  const listenUrl = `${databaseUrl()}${databaseUrl().includes('?') ? '&' : '?'}application_name=${applicationName}`;
  // 30 processes' worth of lock services, each with its own listener.
  const waiters = Array.from({ length: 30 }, () => new PostgresFlowLockService({ pool, listenConnectionString: listenUrl, maxListenConnections: max, listenerIdleMs: 0, pollIntervalMs: 100 }));
  const key = uniqueKey('listen-cap');
  try {
    const holder = await waiters[0]?.acquire(key, 60_000, 0);
    let most = 0;
    let sampling = true;
    const sample = (async () => {
      while (sampling) {
        most = Math.max(most, await heldSlots(applicationName));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const turns = waiters.slice(1).map(async (service) => {
      const grant = await service.acquire(key, 60_000, 30_000);
      await service.release(key, grant.lockId);
      return grant.acquired;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await waiters[0]?.release(key, holder?.lockId ?? '');
    const acquired = await Promise.all(turns);
    sampling = false;
    await sample;
    expect(acquired.every(Boolean)).toBe(true);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(5);
  } finally {
    await Promise.all(waiters.map((service) => service.close()));
    await pool.end();
  }
}, 60_000);
