import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

/**
 * Where a command writes: stdout, with colours and live redraws only on a terminal; plain lines
 * otherwise (pipes, files, CI), and JSON documents with `--json`.
 */
export class Output {
  readonly tty: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stdout,
    readonly json = false,
  ) {
    this.tty = stream.isTTY === true && !json;
  }

  /** The terminal's width, or a wide default off a terminal. */
  get columns(): number {
    return this.stream.columns || 120;
  }

  get rows(): number {
    return this.stream.rows || 40;
  }

  write(text: string): void {
    this.stream.write(text);
  }

  line(text = ''): void {
    this.stream.write(`${text}\n`);
  }

  /** One JSON document on one line (`--json` output, event streams). */
  document(value: unknown): void {
    this.line(JSON.stringify(value));
  }

  /** `text` in `style` on a terminal; as it is elsewhere. */
  style(style: Style, text: string): string {
    return this.tty ? styleText(style, text) : text;
  }

  /** Rows as aligned columns, the header first. */
  table(header: string[], rows: string[][]): void {
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
    const format = (row: string[]) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ');
    this.line(this.style('bold', format(header)));
    for (const row of rows) this.line(format(row));
  }
}

/** A value as people read it: strings as they are, anything else as indented JSON. */
export const readable = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

/** Milliseconds as `850ms`, `4.2s`, `3m 05s`. */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m ${String(Math.floor((ms % 60_000) / 1_000)).padStart(2, '0')}s`;
}
