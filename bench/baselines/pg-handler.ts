// The cold-start baseline for the lock handlers: a handler holding nothing but a pg pool, making
// the same one-statement acquire that acquireLock makes (so the first invocation does the same
// work in the database, and only what FireFlow adds around it differs).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { lockSql } from '../../lib/locks/sql.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });

export const handler = async (lockKey: string): Promise<unknown> => (await pool.query(lockSql.acquire, [lockKey, randomUUID(), 1000])).rows[0];
