import { createHash } from 'node:crypto';
import type { Retrier } from '../flows/compile.js';

/** The longest one computed delay may be without `maxDelayMs`: as long as a SleepNode may sleep. */
const LONGEST_DELAY_MS = 31 * 24 * 60 * 60 * 1000;

/** The index of the first retrier whose `on` names `type` (or `*`), or -1. */
export const matchingRetrier = (retriers: readonly Retrier[], type: string): number =>
  retriers.findIndex((retrier) => retrier.on.includes('*') || retrier.on.includes(type));

/**
 * The delay before retry `retryNumber` (1-based) of `retrier`: `intervalMs × backoffRate^(n-1)`,
 * capped by `maxDelayMs`. Full jitter draws from [0, that] with a number derived from `jitterKey`
 * rather than a random one, so a run replayed after a crash computes the same delay.
 */
export function retryDelayMs(retrier: Retrier, retryNumber: number, jitterKey: string): number {
  const computed = retrier.intervalMs * retrier.backoffRate ** (retryNumber - 1);
  const capped = Math.round(Math.min(computed, retrier.maxDelayMs ?? LONGEST_DELAY_MS));
  if (retrier.jitter === 'none') return capped;
  const draw = createHash('sha256').update(jitterKey).digest().readUIntBE(0, 6) / 2 ** 48;
  return Math.floor(draw * (capped + 1));
}
