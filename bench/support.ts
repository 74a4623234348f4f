import os from 'node:os';

/** The queue of the bare DBOS baseline worker (bench/baselines/bare-dbos-worker.ts). */
export const BARE_QUEUE = 'bench-bare';

export interface Metric {
  name: string;
  value: number | null;
  unit: string;
  /** The same quantity for the baseline measured in the same run; null where the bar is absolute. */
  baseline: number | null;
  ratio: number | null;
  /** The bar, e.g. "ratio >= 0.85" or "value <= 5". */
  target: string;
  met: boolean;
}

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export const median = (samples: number[]): number => percentile(samples, 50);

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

/** A metric judged by its ratio to a baseline; `higherIsBetter` says which way the bar points. */
export function ratioMetric(
  name: string,
  unit: string,
  value: number,
  baseline: number,
  bar: number,
  higherIsBetter: boolean,
): Metric {
  const ratio = value / baseline;
  return {
    name,
    value: round(value),
    unit,
    baseline: round(baseline),
    ratio: round(ratio),
    target: `ratio ${higherIsBetter ? '>=' : '<='} ${bar}`,
    met: higherIsBetter ? ratio >= bar : ratio <= bar,
  };
}

/** A metric judged against an absolute limit (lower is better unless `atLeast`). */
export function absoluteMetric(name: string, unit: string, value: number, limit: number, atLeast = false): Metric {
  return {
    name,
    value: round(value),
    unit,
    baseline: null,
    ratio: null,
    target: `value ${atLeast ? '>=' : '<='} ${limit}`,
    met: atLeast ? value >= limit : value <= limit,
  };
}

export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;
}

export function printTable(metrics: Metric[]): void {
  const rows = metrics.map((m) => [
    m.name,
    m.value === null ? '-' : `${m.value} ${m.unit}`,
    m.baseline === null ? '-' : `${m.baseline} ${m.unit}`,
    m.ratio === null ? '-' : String(m.ratio),
    m.target,
    m.met ? 'yes' : 'NO',
  ]);
  const header = ['metric', 'value', 'baseline', 'ratio', 'target', 'met'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
