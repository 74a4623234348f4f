import jsonata from 'jsonata';
import { NodeError } from '../../errors.js';
import type { NodeType } from './types.js';

const compiled = new Map<string, jsonata.Expression>();
const COMPILED_LIMIT = 500;

/** Compiles once per expression text (bounded cache: flows reuse a handful of expressions). */
function compile(expression: string): jsonata.Expression {
  let found = compiled.get(expression);
  if (!found) {
    found = jsonata(expression);
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(expression, found);
  }
  return found;
}

function jsonataMessage(error: unknown): string {
  const { message, position } = error as { message?: string; position?: number };
  return position === undefined ? String(message ?? error) : `${message} (at character ${position})`;
}

export const TransformNode: NodeType = {
  type: 'TransformNode',
  description: 'Evaluates a JSONata expression on `input`.',
  inputs: { expression: { type: 'string', required: true }, input: { type: 'any', default: null } },
  outputs: { result: { type: 'any' } },
  validateStatic(inputs) {
    if (typeof inputs.expression !== 'string') return [];
    try {
      compile(inputs.expression);
      return [];
    } catch (error) {
      return [{ port: 'expression', message: `is not valid JSONata: ${jsonataMessage(error)}` }];
    }
  },
  async run(inputs) {
    let result: unknown;
    try {
      result = await compile(String(inputs.expression)).evaluate(inputs.input);
    } catch (error) {
      throw new NodeError('ExpressionError', `JSONata failed: ${jsonataMessage(error)}`, { cause: error });
    }
    // JSONata answers undefined for "no match"; a port carries null instead.
    return { result: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
  },
};
