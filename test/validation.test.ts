import fc from 'fast-check';
import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../lib/errors.js';
import { acquireRequestFields, extendRequestFields, HTTP_LOCK_WAIT_MAX_MS, inspectRequestFields, releaseRequestFields } from '../lib/locks/schemas.js';
import { boundedString, integerInRange, parseFields, parseInput, type IntegerField, type TextField } from '../lib/validation.js';

// parseFields checks the lock requests without zod (for the lock functions' cold start); it must
// answer exactly what the zod object of the same boundedString and integerInRange fields answers:
// the same value, or a ValidationError with the same problems, in the same words and order.

type Fields = Record<string, TextField | IntegerField>;

const zodObjectOf = (fields: Fields) =>
  z.object(
    Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.kind === 'text' ? boundedString(field.maxLength) : integerInRange(field.min, field.max)])),
    { error: 'must be a JSON object' },
  );

/** What a parse answers: its value, or its ValidationError's message and problems. */
function outcome(parse: () => unknown): unknown {
  try {
    return { value: parse() };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { name: error.name, message: error.message, details: error.details };
  }
}

const requests: Array<[string, Fields]> = [
  ['acquire', acquireRequestFields()],
  ['acquire over HTTP', acquireRequestFields(HTTP_LOCK_WAIT_MAX_MS)],
  ['release', releaseRequestFields],
  ['extend', extendRequestFields],
  ['inspect', inspectRequestFields],
];

/** Values near every edge the two fields have, and of every other JSON type. */
const fieldValue = fc.oneof(
  fc.constantFrom(undefined, null, true, '', 'a', '\u0000', 'x\u0000y', '\uD83D\uDE00', '\uD800', [], ['a'], {}, { length: 0 }, { length: 600 }, { length: 'x' }),
  fc.constantFrom(0, -0, 1, -1, 0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 2 ** 60, -(2 ** 60), 1e21, 25_000, 25_001, 900_000, 900_001, 86_400_000, 86_400_001),
  fc.integer({ min: -10, max: 1_000_000 }),
  fc.double(),
  fc.string({ maxLength: 8 }),
  // Around the 128- and 512-character limits, in code points and in UTF-16 units (surrogate pairs).
  fc.tuple(fc.constantFrom(127, 128, 129, 511, 512, 513), fc.constantFrom('k', '\uD83D\uDE00', '\u0000')).map(([length, unit]) => unit.repeat(length)),
  fc.array(fc.constant('x'), { maxLength: 600 }),
  fc.anything(),
);

const request = fc.oneof(
  fc.record({ lockKey: fieldValue, lockId: fieldValue, lockTtlMs: fieldValue, waitTimeoutMs: fieldValue, other: fieldValue }, { requiredKeys: [] }),
  fc.anything(),
);

describe('parseFields', () => {
  it.each(requests)('answers the %s request exactly as its zod object does', (_name, fields) => {
    const schema = zodObjectOf(fields);
    fc.assert(
      fc.property(request, fc.constantFrom(undefined, 'body'), (value, root) => {
        expect(outcome(() => parseFields(fields, value, root))).toEqual(outcome(() => parseInput(schema, value, root)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('names every field with a problem, in order, and keeps only the fields it knows', () => {
    expect(outcome(() => parseFields(acquireRequestFields(), { lockKey: '', lockTtlMs: 0.5, extra: 1 }))).toEqual({
      name: 'ValidationError',
      message: 'lockKey: must not be empty; lockTtlMs: must be an integer; waitTimeoutMs: is required',
      details: [
        { field: 'lockKey', message: 'must not be empty' },
        { field: 'lockTtlMs', message: 'must be an integer' },
        { field: 'waitTimeoutMs', message: 'is required' },
      ],
    });
    expect(parseFields(releaseRequestFields, { lockKey: 'k', lockId: 'id', extra: 1 })).toEqual({ lockKey: 'k', lockId: 'id' });
  });
});
