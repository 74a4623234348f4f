import jsonata from 'jsonata';
import { NodeError } from '../../errors.js';
import type { FlowLimits } from '../../limits.js';
import type { NodeType } from './types.js';

const compiled = new Map<string, jsonata.Expression>();
const COMPILED_LIMIT = 500;

/**
 * Compiles once per expression text and limits (bounded cache: flows reuse a handful of
 * expressions). JSONata checks the deadline and the depth on every evaluation step, per evaluation.
 */
function compile(expression: string, limits?: Pick<FlowLimits, 'expressionTimeoutMs' | 'expressionMaxDepth'>): jsonata.Expression {
  const key = limits ? `${limits.expressionTimeoutMs}:${limits.expressionMaxDepth}:${expression}` : expression;
  let found = compiled.get(key);
  if (!found) {
    found = jsonata(expression, limits && ({ timeout: limits.expressionTimeoutMs, stack: limits.expressionMaxDepth } as jsonata.JsonataOptions));
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(key, found);
  }
  return found;
}

function jsonataMessage(error: unknown): string {
  const { message, position } = error as { message?: string; position?: number };
  return position === undefined ? String(message ?? error) : `${message} (at character ${position})`;
}

/** JSONata's own codes for a guardrail: too deep, too long. */
const GUARDRAILS: Record<string, 'depth' | 'timeout'> = { D1011: 'depth', D1012: 'timeout' };

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
  async run(inputs, context) {
    const { limits } = context.services;
    let result: unknown;
    try {
      result = await compile(String(inputs.expression), limits).evaluate(inputs.input);
    } catch (error) {
      const reason = GUARDRAILS[(error as { code?: string }).code ?? ''];
      if (reason) {
        const limit = reason === 'depth' ? `EXPRESSION_MAX_DEPTH (${limits.expressionMaxDepth})` : `EXPRESSION_TIMEOUT_MS (${limits.expressionTimeoutMs} ms)`;
        throw new NodeError('ExpressionError', `JSONata stopped: the expression went past ${limit}`, { cause: error, details: { reason } });
      }
      throw new NodeError('ExpressionError', `JSONata failed: ${jsonataMessage(error)}`, { cause: error });
    }
    // JSONata answers undefined for "no match"; a port carries null instead.
    return { result: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
  },
};
