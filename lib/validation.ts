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

/**
 * The schema `build` makes, built at its first use and kept. Building a zod/mini schema costs a
 * cold start a fraction of a millisecond; a Lambda built this way pays only for the schemas of
 * the calls it answers.
 */
export function builtAtFirstUse<Schema>(build: () => Schema): () => Schema {
  let built: Schema | undefined;
  return () => (built ??= build());
}

/** "is required" when the field is absent, else `problem`. */
export const missingOr = (problem: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : problem);

// What a bounded text or integer field is told, in the zod schemas below and in parseFields alike.
const NOT_AN_OBJECT = 'must be a JSON object';
const NOT_TEXT = 'must be a string';
const EMPTY_TEXT = 'must not be empty';
const tooLongText = (maxLength: number) => `must be at most ${maxLength} characters`;
const NUL_IN_TEXT = 'must not contain the NUL character';
const NOT_AN_INTEGER = 'must be an integer';
const belowMinimum = (min: number) => `must be at least ${min}`;
const aboveMaximum = (max: number) => `must be at most ${max}`;

/** An integer field in [min, max]. */
export const integerInRange = (min: number, max: number) =>
  z.int({ error: missingOr(NOT_AN_INTEGER) }).check(z.minimum(min, { error: belowMinimum(min) }), z.maximum(max, { error: aboveMaximum(max) }));

/** A non-empty string field of at most `maxLength` characters that PostgreSQL text can hold (no U+0000). */
export const boundedString = (maxLength: number) =>
  z.string({ error: missingOr(NOT_TEXT) }).check(
    z.minLength(1, { error: EMPTY_TEXT }),
    z.maxLength(maxLength, { error: tooLongText(maxLength) }),
    z.refine((value: string) => !value.includes('\u0000'), { error: NUL_IN_TEXT }),
  );

/** A field of a flat request: what `boundedString(maxLength)` accepts. */
export interface TextField {
  kind: 'text';
  maxLength: number;
}

/** A field of a flat request: what `integerInRange(min, max)` accepts. */
export interface IntegerField {
  kind: 'integer';
  min: number;
  max: number;
}

export const textField = (maxLength: number): TextField => ({ kind: 'text', maxLength });
export const integerField = (min: number, max: number): IntegerField => ({ kind: 'integer', min, max });

export type FieldValues<Fields extends Record<string, TextField | IntegerField>> = { [Name in keyof Fields]: Fields[Name] extends TextField ? string : number };

/**
 * Parses a flat request, a JSON object of text and integer fields, or throws a ValidationError
 * with exactly the problems, words and order that `parseInput` reports for the zod object of
 * `boundedString` and `integerInRange` fields (test/validation.test.ts compares them on generated
 * input). Plain code for the lock functions, the smallest and most latency-bound requests: zod's
 * load, schema construction and first parse were most of their cold start's cost beyond `pg`.
 */
export function parseFields<Fields extends Record<string, TextField | IntegerField>>(fields: Fields, value: unknown, root?: string): FieldValues<Fields> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw ValidationError.forField(fieldName([], root), NOT_AN_OBJECT);
  const input = value as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    const fieldValue = input[name];
    const messages = field.kind === 'text' ? textProblems(fieldValue, field.maxLength) : integerProblems(fieldValue, field.min, field.max);
    for (const message of messages) problems.push({ field: fieldName([name], root), message });
    parsed[name] = fieldValue;
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return parsed as FieldValues<Fields>;
}

/** boundedString's problems with `value`, as zod finds them. */
function textProblems(value: unknown, maxLength: number): string[] {
  if (typeof value === 'string') {
    const problems: string[] = [];
    if (value.length === 0) problems.push(EMPTY_TEXT);
    // Characters are code points: a pair of surrogates counts once.
    if (value.length > maxLength && [...value].length > maxLength) problems.push(tooLongText(maxLength));
    if (value.includes('\u0000')) problems.push(NUL_IN_TEXT);
    return problems;
  }
  const problems = [value === undefined ? 'is required' : NOT_TEXT];
  // zod's length checks still measure anything else with a length (an array, say).
  const length = (value as { length?: unknown } | null)?.length as number | undefined;
  if (length !== undefined) {
    if (!(length >= 1)) problems.push(EMPTY_TEXT);
    if (!(length <= maxLength)) problems.push(tooLongText(maxLength));
  }
  return problems;
}

/** integerInRange's problems with `value`, as zod finds them. */
function integerProblems(value: unknown, min: number, max: number): string[] {
  if (typeof value !== 'number' || !Number.isFinite(value)) return [value === undefined ? 'is required' : NOT_AN_INTEGER];
  if (!Number.isInteger(value)) return [NOT_AN_INTEGER];
  // Beyond the safe integers: an integer problem too, and the range is still checked.
  const problems = Number.isSafeInteger(value) ? [] : [NOT_AN_INTEGER];
  if (!(value >= min)) problems.push(belowMinimum(min));
  if (!(value <= max)) problems.push(aboveMaximum(max));
  return problems;
}
