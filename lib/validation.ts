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
