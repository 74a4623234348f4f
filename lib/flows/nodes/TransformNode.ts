import jsonata from 'jsonata';
import { jsonataMessage } from '../../expressions/ExpressionPool.js';
import type { NodeType } from './types.js';

export const TransformNode: NodeType = {
  type: 'TransformNode',
  description: 'Evaluates a JSONata expression on `input`.',
  inputs: { expression: { type: 'string', required: true }, input: { type: 'any', default: null } },
  outputs: { result: { type: 'any' } },
  validateStatic(inputs) {
    if (typeof inputs.expression !== 'string') return [];
    try {
      jsonata(inputs.expression);
      return [];
    } catch (error) {
      return [{ port: 'expression', message: `is not valid JSONata: ${jsonataMessage(error as Error & { position?: number })}` }];
    }
  },
  async run(inputs, context) {
    const { limits, expressions } = context.services;
    const result = await expressions.evaluate(String(inputs.expression), inputs.input, {
      timeoutMs: limits.expressionTimeoutMs,
      maxDepth: limits.expressionMaxDepth,
      maxOutputBytes: limits.maxNodeOutputBytes,
    });
    return { result };
  },
};
