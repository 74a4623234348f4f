import * as z from 'zod/mini';
import { ValidationError, type FieldProblem } from './errors.js';

/** `nodes[2].id` style: array positions in brackets, properties after dots. */
function fieldName(path: ReadonlyArray<PropertyKey>, root: string | undefined): string {
  let name = root ?? '';
  for (const segment of path) {
    if (typeof segment === 'number') name += `[${segment}]`;
    else name += name === '' ? String(segment) : `.${String(segment)}`;
  }
  return name === '' ? '(input)' : name;
}

/**
 * Parses `value` with `schema`, or throws a ValidationError that lists every problem and names
 * each field. `root` prefixes field names when the value is one part of a larger request.
 * Schemas are zod/mini ones: a fraction of full zod's weight in a Lambda's cold start.
 */
export function parseInput<S extends z.core.$ZodType>(schema: S, value: unknown, root?: string): z.output<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const problems: FieldProblem[] = result.error.issues.map((issue) => ({
    field: fieldName(issue.path, root),
    message: issue.message,
  }));
  throw new ValidationError(problems, { cause: result.error });
}

/** A NUL character or a lone UTF-16 surrogate: text PostgreSQL cannot store. */
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Rejects a parsed JSON request that holds text PostgreSQL cannot store, anywhere (ignored fields
 * and keys too): a ValidationError naming the first such field, so that nothing is written.
 */
export function rejectUnstorableText(value: unknown, root: string): void {
  const found = unstorableAt(value, []);
  if (found) throw ValidationError.forField(found.length === 0 ? root : fieldName(found, undefined), 'must not contain the NUL character or unpaired surrogates');
}

function unstorableAt(value: unknown, path: PropertyKey[]): PropertyKey[] | undefined {
  if (typeof value === 'string') return UNSTORABLE_TEXT.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = unstorableAt(item, [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (UNSTORABLE_TEXT.test(key)) return [...path, key];
      const found = unstorableAt(item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/** "is required" when the field is absent, else `problem`. */
export const missingOr = (problem: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : problem);

/** An integer field in [min, max]. */
export const integerInRange = (min: number, max: number) =>
  z.int({ error: missingOr('must be an integer') }).check(
    z.minimum(min, { error: `must be at least ${min}` }),
    z.maximum(max, { error: `must be at most ${max}` }),
  );

/** A non-empty string field of at most `maxLength` characters that PostgreSQL text can hold (no U+0000). */
export const boundedString = (maxLength: number) =>
  z.string({ error: missingOr('must be a string') }).check(
    z.minLength(1, { error: 'must not be empty' }),
    z.maxLength(maxLength, { error: `must be at most ${maxLength} characters` }),
    z.refine((value: string) => !value.includes('\u0000'), { error: 'must not contain the NUL character' }),
  );
