import { NodeError } from '../../errors.js';
import { SIGNAL_NAME_PATTERN } from '../ids.js';
import type { NodeType } from './types.js';

export const MAX_WAIT_MS = 31 * 24 * 60 * 60 * 1000;

const timeoutProblem = (ms: unknown): string | undefined =>
  typeof ms === 'number' && Number.isInteger(ms) && ms >= 1 && ms <= MAX_WAIT_MS ? undefined : `must be an integer from 1 to ${MAX_WAIT_MS}`;
const signalProblem = (name: unknown): string | undefined =>
  typeof name === 'string' && SIGNAL_NAME_PATTERN.test(name) ? undefined : 'must match [A-Za-z0-9_.:-]{1,128}';

/**
 * Waits durably for a signal sent to its execution (a human approval, a callback): the first
 * signal of that name not yet consumed, one per wait, first in first out. `Timeout` when none
 * comes within `timeoutMs`.
 */
export const WaitForSignalNode: NodeType = {
  type: 'WaitForSignalNode',
  description: 'Waits for a signal sent to this execution and resolves its payload.',
  runsOutsideStep: true,
  runsAlone: true,
  inputs: { signal: { type: 'string', required: true }, timeoutMs: { type: 'number', default: 86_400_000 } },
  outputs: { payload: { type: 'any' }, receivedAt: { type: 'string' } },
  validateStatic(inputs) {
    const problems: Array<{ port: string; message: string }> = [];
    const signal = inputs.signal === undefined ? undefined : signalProblem(inputs.signal);
    const timeout = inputs.timeoutMs === undefined ? undefined : timeoutProblem(inputs.timeoutMs);
    if (signal) problems.push({ port: 'signal', message: signal });
    if (timeout) problems.push({ port: 'timeoutMs', message: timeout });
    return problems;
  },
  async run(inputs, context) {
    const problem = signalProblem(inputs.signal) ?? timeoutProblem(inputs.timeoutMs);
    if (problem) throw new NodeError('InvalidInput', `signal ${String(inputs.signal)}, timeoutMs ${String(inputs.timeoutMs)}: ${problem}`);
    const signal = inputs.signal as string;
    const timeoutMs = inputs.timeoutMs as number;
    const received = await context.services.waitForSignal(signal, timeoutMs, {
      signal: context.signal,
      onWaiting: (timeoutAt) => context.report({ type: 'node:waiting', data: { signal, timeoutAt } }),
    });
    if (!received) throw new NodeError('Timeout', `no signal "${signal}" within ${timeoutMs} ms`, { details: { signal } });
    return { payload: received.payload ?? null, receivedAt: received.receivedAt };
  },
};
