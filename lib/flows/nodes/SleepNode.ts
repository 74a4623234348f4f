import { NodeError } from '../../errors.js';
import type { NodeType } from './types.js';

export const MAX_SLEEP_MS = 31 * 24 * 60 * 60 * 1000;

export const SleepNode: NodeType = {
  type: 'SleepNode',
  description: 'Waits `ms` milliseconds; under the worker the sleep is durable.',
  runsOutsideStep: true,
  inputs: { ms: { type: 'number', required: true } },
  outputs: {},
  validateStatic(inputs) {
    const { ms } = inputs;
    if (typeof ms !== 'number') return [];
    return Number.isInteger(ms) && ms >= 0 && ms <= MAX_SLEEP_MS ? [] : [{ port: 'ms', message: `must be an integer from 0 to ${MAX_SLEEP_MS}` }];
  },
  async run(inputs, context) {
    const ms = inputs.ms as number;
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_SLEEP_MS) throw new NodeError('InvalidInput', `ms must be an integer from 0 to ${MAX_SLEEP_MS}, got ${ms}`);
    await context.services.sleep(ms, context.signal);
    return {};
  },
};
