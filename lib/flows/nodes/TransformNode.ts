import jsonata from 'jsonata';
import { isDecidedByInput } from '../../expressions/determinism.js';
import { jsonataMessage } from '../../expressions/ExpressionPool.js';
import type { NodeType } from './types.js';

export const TransformNode: NodeType = {
  type: 'TransformNode',
  description: 'Evaluates a JSONata expression on `input`.',
  inputs: { expression: { type: 'string', required: true }, input: { type: 'any', default: null } },
  outputs: { result: { type: 'any' } },
  // An expression wired in at run time, or one that reads the clock or chance, is a step.
  isPure: (staticInputs, wired) => !wired.has('expression') && typeof staticInputs.expression === 'string' && isDecidedByInput(staticInputs.expression),
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
