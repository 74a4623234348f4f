import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../lib/db.js';
import { uniqueFlowId } from './support/flows.js';
import { http, invoke, lockRowCount, testPool, uniqueKey } from './support/stack.js';

// Property-based bad input: whatever JSON arrives, every route and function answers a 4xx or a
// typed error — never a 5xx, never an InternalError — and nothing is written.
const RUNS = 12;
const TYPED_ERRORS = ['ValidationError', 'NotFoundError', 'ConflictError'];

let pool: Pool;
beforeAll(() => {
  pool = testPool(2);
});
afterAll(() => pool.end());

const missingFlow = uniqueFlowId('fuzz-missing');
const lockKey = uniqueKey('fuzz');
const anyJson = fc.jsonValue({ maxDepth: 3 });
const anyText = fc.string({ maxLength: 40 });
/** Text, or a number too large, too small or too precise for the column or parser behind it (a 19-digit cursor). */
const anyQueryValue = fc.oneof(
  anyText,
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.constantFrom('9223372036854775808', '1e309', '-1e309', '0x10', '1.5', '-0', 'NaN', 'Infinity', '\u0000'),
);

async function countExecutions(flowId: string): Promise<number> {
  const result = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM fireflow_executions WHERE flow_id = $1', [flowId]);
  return result.rows[0]?.n ?? 0;
}

describe('HTTP routes never answer bad input with a 5xx', () => {
  const routes: Array<[label: string, method: string, path: string]> = [
    ['acquire', 'POST', `/locks/${encodeURIComponent(lockKey)}/acquire`],
    ['release', 'POST', `/locks/${encodeURIComponent(lockKey)}/release`],
    ['extend', 'POST', `/locks/${encodeURIComponent(lockKey)}/extend`],
    ['save flow', 'PUT', `/flows/${missingFlow}`],
    ['start execution', 'POST', `/flows/${missingFlow}/executions`],
    ['cancel execution', 'POST', '/executions/fuzz-missing-execution/cancel'],
    ['redrive execution', 'POST', '/executions/fuzz-missing-execution/redrive'],
    ['send signal', 'POST', '/executions/fuzz-missing-execution/signals/go'],
  ];
  it.each(routes)('%s, with any JSON body', async (_label, method, path) => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (body) => {
        const reply = await http(method, path, { rawBody: JSON.stringify(body), contentType: 'application/json' });
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
        expect(reply.body.error.code).toEqual(expect.any(String));
      }),
      { numRuns: RUNS },
    );
    expect(await lockRowCount(pool, lockKey)).toBe(0);
    expect(await countExecutions(missingFlow)).toBe(0);
  });

  it('any path parameter and query string', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyQueryValue, async (segment, query) => {
        const encoded = encodeURIComponent(segment) || '%20';
        const q = `?waitMs=${encodeURIComponent(query)}&limit=${encodeURIComponent(query)}&after=${encodeURIComponent(query)}&cursor=${encodeURIComponent(query)}`;
        for (const [method, path] of [['GET', `/executions/${encoded}${q}`], ['GET', `/executions/${encoded}/events${q}`], ['GET', `/flows/${encoded}${q}`], ['GET', `/flows/${encoded}/executions${q}`], ['GET', `/executions/${encoded}/children${q}&nodeId=${encodeURIComponent(query)}`], ['POST', `/executions/${encoded}/redrive${q}`]] as const) {
          const reply = await http(method, path);
          expect(reply.status, path).toBeLessThan(500);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('direct-invoke functions fail bad input with a typed error', () => {
  const functions = ['acquireLock', 'releaseLock', 'extendLock', 'startExecution', 'getExecution', 'cancelExecution', 'redriveExecution', 'sendSignal', 'getExecutionEvents', 'saveFlow', 'getFlow', 'scheduledTrigger'];
  it.each(functions)('%s, with any JSON payload', async (fn) => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (payload) => {
        const reply = await invoke(fn, payload);
        expect(reply.functionError).toBeDefined();
        expect(TYPED_ERRORS).toContain(reply.payload.errorType);
      }),
      { numRuns: RUNS },
    );
  });

  it('any payload holding text PostgreSQL cannot store: a ValidationError, nothing written', async () => {
    const badText = fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u0000', '\uD800', '\uDFFF'), fc.string({ maxLength: 8 })).map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(anyJson, badText, fc.constantFrom('startExecution', 'sendSignal', 'acquireLock', 'redriveExecution'), async (json, text, fn) => {
        const reply = await invoke(fn, { flowId: missingFlow, executionId: 'fuzz-missing-execution', lockKey, signal: 'go', input: json, payload: { json, text } });
        expect(reply.payload.errorType).toBe('ValidationError');
      }),
      { numRuns: RUNS },
    );
    expect(await lockRowCount(pool, lockKey)).toBe(0);
    expect(await countExecutions(missingFlow)).toBe(0);
  });

  it('startExecution with any input, for a flow that does not exist', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, fc.option(anyText, { nil: undefined }), async (input, idempotencyKey) => {
        const reply = await invoke('startExecution', { flowId: missingFlow, input, ...(idempotencyKey ? { idempotencyKey } : {}) });
        expect(TYPED_ERRORS).toContain(reply.payload.errorType);
      }),
      { numRuns: RUNS },
    );
    expect(await countExecutions(missingFlow)).toBe(0);
  });
});
