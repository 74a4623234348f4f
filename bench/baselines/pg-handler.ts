// The cold-start baseline for the lock handlers: a handler holding nothing but a pg pool.
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });

export const handler = async (): Promise<unknown> => (await pool.query('SELECT 1 AS ok')).rows[0];
