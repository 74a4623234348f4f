import { NodeError } from '../../errors.js';
import { FLOW_ID_PATTERN, ID_PROBLEM } from '../ids.js';
import type { NodeType } from './types.js';

export const MAX_FOREACH_ITEMS = 10_000;
export const MAX_CONCURRENCY = 1_000;

const integerProblem = (value: unknown, min: number, max: number): string | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? undefined : max === Number.MAX_SAFE_INTEGER ? `must be an integer of at least ${min}` : `must be an integer from ${min} to ${max}`;

function problemsOf(inputs: Record<string, unknown>, all: boolean): Array<{ port: string; message: string }> {
  const problems: Array<{ port: string; message: string }> = [];
  const check = (port: string, problem: string | undefined) => {
    if (problem && (all || inputs[port] !== undefined)) problems.push({ port, message: problem });
  };
  check('flowId', typeof inputs.flowId === 'string' && FLOW_ID_PATTERN.test(inputs.flowId) ? undefined : ID_PROBLEM);
  check('maxConcurrency', integerProblem(inputs.maxConcurrency, 1, MAX_CONCURRENCY));
  check('toleratedFailures', integerProblem(inputs.toleratedFailures, 0, Number.MAX_SAFE_INTEGER));
  check('items', Array.isArray(inputs.items) && inputs.items.length > MAX_FOREACH_ITEMS ? `must hold at most ${MAX_FOREACH_ITEMS} items` : undefined);
  return problems;
}

/**
 * Runs the flow `flowId` once per element of `items`, each as a child execution whose input is the
 * element, at most `maxConcurrency` at once (Step Functions' Map). `results` holds the outputs in
 * item order (null for a failed, tolerated item), `failures` the failed items.
 */
export const ForEachNode: NodeType = {
  type: 'ForEachNode',
  description: 'Runs a flow once per item of a list as child executions and collects their outputs.',
  runsOutsideStep: true,
  runsAlone: true,
  inputs: {
    items: { type: 'array', required: true },
    flowId: { type: 'string', required: true },
    maxConcurrency: { type: 'number', default: 10 },
    toleratedFailures: { type: 'number', default: 0 },
  },
  outputs: { results: { type: 'array' }, failures: { type: 'array' }, succeeded: { type: 'number' }, failed: { type: 'number' } },
  validateStatic(inputs) {
    return problemsOf(inputs, false);
  },
  async run(inputs, context) {
    const [problem] = problemsOf(inputs, true);
    if (problem) throw new NodeError('InvalidInput', `${problem.port} ${problem.message}`, { details: { port: problem.port } });
    const outcome = await context.services.forEach(
      inputs.flowId as string,
      inputs.items as unknown[],
      { maxConcurrency: inputs.maxConcurrency as number, toleratedFailures: inputs.toleratedFailures as number },
      { nodeId: context.nodeId, attempt: context.attempt, signal: context.signal, report: context.report },
    );
    return { ...outcome };
  },
};
