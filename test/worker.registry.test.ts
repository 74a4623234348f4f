import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Pool } from '../lib/db.js';
import { WorkerRegistry } from '../lib/worker/WorkerRegistry.js';
import { testPool } from './support/stack.js';

let pool: Pool;
beforeAll(() => {
  pool = testPool(8);
});
afterAll(() => pool.end());

const version = () => `registry-test-${crypto.randomUUID().slice(0, 8)}`;

it('lets exactly one of several racing survivors claim a dead worker', async () => {
  const release = version();
  const dead = new WorkerRegistry(pool, `dead-${release}`, release);
  await dead.beat();
  await pool.query("UPDATE fireflow_workers SET heartbeat_at = now() - interval '1 minute' WHERE executor_id = $1", [`dead-${release}`]);
  const survivors = Array.from({ length: 6 }, (_, i) => new WorkerRegistry(pool, `survivor-${i}-${release}`, release));
  await Promise.all(survivors.map((survivor) => survivor.beat()));
  const claims = await Promise.all(survivors.map((survivor) => survivor.claimDead(10_000)));
  expect(claims.flat()).toEqual([`dead-${release}`]);
  // Claimed, not yet forgotten: nobody else may take it while the claim is fresh.
  expect(await survivors[0]!.claimDead(10_000)).toEqual([]);
});

it('never claims a live worker, nor one of another release', async () => {
  const release = version();
  const live = new WorkerRegistry(pool, `live-${release}`, release);
  await live.beat();
  const otherRelease = new WorkerRegistry(pool, `old-${release}`, `${release}-old`);
  await otherRelease.beat();
  await pool.query("UPDATE fireflow_workers SET heartbeat_at = now() - interval '1 minute' WHERE executor_id = $1", [`old-${release}`]);
  expect(await new WorkerRegistry(pool, `survivor-${release}`, release).claimDead(10_000)).toEqual([]);
});

it('lets a stale claim be taken over, and a stopped worker be claimed at once', async () => {
  const release = version();
  const stopped = new WorkerRegistry(pool, `stopped-${release}`, release);
  await stopped.beat();
  await stopped.markStopped();
  const first = new WorkerRegistry(pool, `first-${release}`, release);
  expect(await first.claimDead(10_000)).toEqual([`stopped-${release}`]);
  await pool.query("UPDATE fireflow_workers SET claimed_at = now() - interval '1 minute' WHERE executor_id = $1", [`stopped-${release}`]);
  const second = new WorkerRegistry(pool, `second-${release}`, release);
  expect(await second.claimDead(10_000)).toEqual([`stopped-${release}`]);
  await first.forget(`stopped-${release}`);
  expect((await pool.query('SELECT 1 FROM fireflow_workers WHERE executor_id = $1', [`stopped-${release}`])).rowCount).toBe(1);
  await second.forget(`stopped-${release}`);
  expect((await pool.query('SELECT 1 FROM fireflow_workers WHERE executor_id = $1', [`stopped-${release}`])).rowCount).toBe(0);
});
