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
