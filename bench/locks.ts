import { randomUUID } from 'node:crypto';
import { createPool, type Pool } from '../lib/db.js';
import { PostgresFlowLockService } from '../lib/locks/PostgresFlowLockService.js';
import { absoluteMetric, median, percentile, ratioMetric, sleep, type Metric } from './support.js';

const CONCURRENCY = 8;
const RUN_MS = 2_000;
const ROUNDS = 7;
const WAITERS = 16;
const HANDOFF_ROUNDS = 12;

// The floor: the least a lock that keeps the contract can be, one statement to take it and one to
// drop it, on a table of the same shape, with the same pool and concurrency. Release keeps the row
// (a DELETE would reset the key's fencing counter, which the contract forbids).
const RAW_SETUP = `
  CREATE TABLE IF NOT EXISTS bench_raw_locks (
    lock_key text PRIMARY KEY, lock_id text NOT NULL, fencing_token bigint NOT NULL,
    acquired_at timestamptz NOT NULL, expires_at timestamptz NOT NULL) WITH (fillfactor = 80)`;
const RAW_ACQUIRE = `
  INSERT INTO bench_raw_locks AS l VALUES ($1, $2, 1, now(), now() + $3::integer * interval '1 millisecond')
  ON CONFLICT (lock_key) DO UPDATE SET lock_id = excluded.lock_id, fencing_token = l.fencing_token + 1,
    acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
  WHERE l.expires_at <= now()
  RETURNING fencing_token`;
const RAW_RELEASE = 'UPDATE bench_raw_locks SET expires_at = now() WHERE lock_key = $1 AND lock_id = $2 AND expires_at > now()';

type Pair = (key: string) => Promise<void>;

/** Acquire+release pairs per second, CONCURRENCY loops each on its own key, for RUN_MS. */
async function pairsPerSecond(pair: Pair): Promise<number> {
  let pairs = 0;
  const deadline = performance.now() + RUN_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const key = `bench:${randomUUID()}`;
      while (performance.now() < deadline) {
        await pair(key);
        pairs += 1;
      }
    }),
  );
  return pairs / ((performance.now() - started) / 1000);
}

async function uncontended(databaseUrl: string): Promise<Metric> {
  const pool = createPool({ connectionString: databaseUrl, max: CONCURRENCY });
  const locks = new PostgresFlowLockService({ pool, listenConnectionString: databaseUrl });
  try {
    await pool.query(RAW_SETUP);
    const raw: Pair = async (key) => {
      const lockId = randomUUID();
      const granted = await pool.query(RAW_ACQUIRE, [key, lockId, 30_000]);
      if (granted.rowCount !== 1) throw new Error('raw acquire was refused on a free key');
      await pool.query(RAW_RELEASE, [key, lockId]);
    };
    const ours: Pair = async (key) => {
      const grant = await locks.acquire(key, 30_000, 0);
      if (!grant.acquired) throw new Error('acquire was refused on a free key');
      await locks.release(key, grant.lockId);
    };
    await pairsPerSecond(raw);
    await pairsPerSecond(ours);
    const rawRates: number[] = [];
    const ourRates: number[] = [];
    // Interleaved rounds, so drift of the machine hits both alike.
    for (let round = 0; round < ROUNDS; round += 1) {
      rawRates.push(await pairsPerSecond(raw));
      ourRates.push(await pairsPerSecond(ours));
    }
    return ratioMetric('lock uncontended acquire+release', 'pairs/s', median(ourRates), median(rawRates), 0.85, true);
  } finally {
    await locks.close();
    await pool.end();
  }
}

/** 16 waiters, each its own "Lambda" (pool and listener), all on one key; every waiter takes the lock HANDOFF_ROUNDS times. */
async function handoff(databaseUrl: string): Promise<Metric[]> {
  const key = `bench:handoff:${randomUUID()}`;
  const pools: Pool[] = [];
  const services: PostgresFlowLockService[] = [];
  for (let i = 0; i < WAITERS; i += 1) {
    const pool = createPool({ connectionString: databaseUrl, max: 1 });
    pools.push(pool);
    services.push(new PostgresFlowLockService({ pool, listenConnectionString: databaseUrl }));
  }
  const latencies: number[] = [];
  const grantsPerWaiter = new Array<number>(WAITERS).fill(0);
  let releasedAt: number | undefined;
  try {
    await Promise.all(
      services.map(async (service, index) => {
        for (let round = 0; round < HANDOFF_ROUNDS; round += 1) {
          const grant = await service.acquire(key, 30_000, 120_000);
          if (!grant.acquired) return;
          const grantedAt = performance.now();
          if (releasedAt !== undefined) latencies.push(grantedAt - releasedAt);
          grantsPerWaiter[index] = (grantsPerWaiter[index] ?? 0) + 1;
          await sleep(1);
          releasedAt = performance.now();
          await service.release(key, grant.lockId);
        }
      }),
    );
  } finally {
    await Promise.all(services.map((service) => service.close()));
    await Promise.all(pools.map((pool) => pool.end()));
  }
  // Each waiter stops after HANDOFF_ROUNDS grants, so the total reaches its bar only if every waiter was served.
  return [
    absoluteMetric(`lock handoff p50 (${WAITERS} waiters)`, 'ms', percentile(latencies, 50), 5),
    absoluteMetric(`lock handoff p99 (${WAITERS} waiters)`, 'ms', percentile(latencies, 99), 25),
    absoluteMetric(`lock waiters served (${WAITERS} × ${HANDOFF_ROUNDS})`, 'grants', grantsPerWaiter.reduce((a, b) => a + b, 0), WAITERS * HANDOFF_ROUNDS, true),
  ];
}

export async function benchLocks(databaseUrl: string): Promise<Metric[]> {
  return [await uncontended(databaseUrl), ...(await handoff(databaseUrl))];
}
