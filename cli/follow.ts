import type { ErrorRecord } from '../lib/errors.js';
import type { ExecutionEvent, ExecutionRecord } from '../lib/executions/types.js';
import { EVENTS_WAIT_MS, type FireflowApi } from './api.js';
import { duration, type Output } from './output.js';

export type NodeState = 'pending' | 'running' | 'waiting' | 'retrying' | 'completed' | 'failed' | 'skipped' | 'stopped';

/** States of a node that has ended: what "done" counts. */
const ENDED: ReadonlySet<NodeState> = new Set(['completed', 'failed', 'skipped']);

interface NodeView {
  id: string;
  type: string;
  state: NodeState;
  /** What it is doing or how it ended, briefly (retry, signal, ForEach items, error). */
  note: string;
}

const errorText = (error: ErrorRecord | undefined): string => (error ? `${error.type}: ${error.message}` : 'unknown error');

/**
 * The nodes of an execution's flow and their states, as its events tell them. Feeds the live
 * view and the plain lines alike.
 */
export class ExecutionProgress {
  readonly nodes = new Map<string, NodeView>();
  private firstAt: number | undefined;

  constructor(
    nodes: ReadonlyArray<{ id: string; type: string }>,
    readonly label: string,
  ) {
    for (const node of nodes) this.nodes.set(node.id, { id: node.id, type: node.type, state: 'pending', note: '' });
  }

  get total(): number {
    return this.nodes.size;
  }

  get done(): number {
    return [...this.nodes.values()].filter((node) => ENDED.has(node.state)).length;
  }

  /** Applies one event; answers what happened as one line of text. */
  apply(event: ExecutionEvent): string {
    this.firstAt ??= Date.parse(event.timestamp);
    const data = (event.data ?? {}) as Record<string, any>;
    const node = event.nodeId === undefined ? undefined : this.nodeOf(event.nodeId);
    const set = (state: NodeState, note = '') => {
      if (node) Object.assign(node, { state, note });
    };
    let text: string;
    switch (event.type) {
      case 'node:started':
        set('running');
        text = `started${node ? ` (${node.type})` : ''}`;
        break;
      case 'node:completed':
        set('completed');
        text = 'completed';
        break;
      case 'node:failed':
        set('failed', errorText(data.error));
        text = `failed: ${errorText(data.error)}${data.handled ? ' (handled)' : ''}${data.attempts > 1 ? ` after ${data.attempts} attempts` : ''}`;
        break;
      case 'node:skipped':
        set('skipped');
        text = 'skipped';
        break;
      case 'node:retrying':
        set('retrying', `attempt ${data.attempt} failed, next in ${duration(data.delayMs ?? 0)}`);
        text = `attempt ${data.attempt} failed (${errorText(data.error)}); retrying in ${duration(data.delayMs ?? 0)}`;
        break;
      case 'node:waiting':
        set('waiting', `signal "${data.signal}"`);
        text = `waiting for signal "${data.signal}" until ${data.timeoutAt}`;
        break;
      case 'node:progress': {
        const finished = (data.succeeded ?? 0) + (data.failed ?? 0);
        if (node && node.state !== 'waiting') node.note = `${finished}/${data.total} items, ${data.failed ?? 0} failed`;
        text = `progress: ${finished}/${data.total} items (${data.failed ?? 0} failed, ${data.running ?? 0} running)`;
        break;
      }
      case 'execution:redriven':
        // The nodes that did not complete run again.
        for (const view of this.nodes.values()) if (view.state !== 'completed') Object.assign(view, { state: 'pending', note: '' });
        text = `redriven (redrive ${data.redriveCount})`;
        break;
      case 'flow:failed':
        text = `failed: ${errorText(data.error)}`;
        break;
      case 'flow:cancelled':
        for (const view of this.nodes.values()) if (['running', 'waiting', 'retrying'].includes(view.state)) Object.assign(view, { state: 'stopped', note: '' });
        text = `cancelled${data.reason ? `: ${data.reason}` : ''}`;
        break;
      default:
        text = event.type.split(':')[1] ?? event.type;
    }
    const subject = event.nodeId ?? event.type.split(':')[0];
    const counted = event.type.startsWith('node:') ? ` [${this.done}/${this.total}]` : '';
    return `+${duration(Date.parse(event.timestamp) - this.firstAt)} ${subject} ${text}${counted}`;
  }

  private nodeOf(id: string): NodeView {
    let node = this.nodes.get(id);
    if (!node) {
      node = { id, type: '?', state: 'pending', note: '' };
      this.nodes.set(id, node);
    }
    return node;
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const MARKS: Record<NodeState, { mark: string; style: Parameters<Output['style']>[0] }> = {
  pending: { mark: '·', style: 'dim' },
  running: { mark: '●', style: 'yellow' },
  waiting: { mark: '◷', style: 'cyan' },
  retrying: { mark: '↻', style: 'yellow' },
  completed: { mark: '✓', style: 'green' },
  failed: { mark: '✗', style: 'red' },
  skipped: { mark: '-', style: 'dim' },
  stopped: { mark: '■', style: 'red' },
};
/** Running nodes first, then the ones that failed or wait, then the rest, when the screen is short. */
const SCREEN_ORDER: NodeState[] = ['running', 'retrying', 'waiting', 'failed', 'stopped', 'pending', 'completed', 'skipped'];

/** A live view on a terminal: a header with a spinner, done/total and elapsed, and each node's state, redrawn in place. */
class LiveView {
  private drawnLines = 0;
  private frame = 0;
  private readonly timer: NodeJS.Timeout;
  private status = 'running';
  private readonly restoreCursor = () => this.output.write('\x1b[?25h');
  /** Ctrl-C while following: the cursor comes back, the execution goes on. */
  private readonly interrupted = () => {
    this.restoreCursor();
    process.exit(130);
  };

  constructor(
    private readonly output: Output,
    private readonly progress: ExecutionProgress,
    private readonly startedAt: number,
  ) {
    this.output.write('\x1b[?25l');
    process.once('exit', this.restoreCursor);
    process.once('SIGINT', this.interrupted);
    this.timer = setInterval(() => this.draw(), 100);
    this.draw();
  }

  update(status: string): void {
    this.status = status;
    this.draw();
  }

  end(record: ExecutionRecord): void {
    clearInterval(this.timer);
    this.status = record.status;
    this.draw(Date.parse(record.completedAt ?? new Date().toISOString()));
    this.restoreCursor();
    process.off('exit', this.restoreCursor);
    process.off('SIGINT', this.interrupted);
  }

  private draw(endedAt?: number): void {
    const { output, progress } = this;
    const width = Math.max(20, output.columns - 1);
    const fit = (text: string) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);
    const mark = endedAt === undefined ? output.style('cyan', SPINNER[this.frame++ % SPINNER.length] ?? '') : this.status === 'completed' ? output.style('green', '✓') : output.style('red', '✗');
    const elapsed = duration((endedAt ?? Date.now()) - this.startedAt);
    const lines = [`${mark} ${fit(`${progress.label} · ${this.status} · ${progress.done}/${progress.total} nodes · ${elapsed}`)}`];
    const nodes = [...progress.nodes.values()];
    const room = Math.max(3, output.rows - 3);
    const shown = nodes.length <= room ? nodes : [...nodes].sort((a, b) => SCREEN_ORDER.indexOf(a.state) - SCREEN_ORDER.indexOf(b.state)).slice(0, room - 1);
    const idWidth = Math.min(24, Math.max(...shown.map((node) => node.id.length), 2));
    const typeWidth = Math.min(20, Math.max(...shown.map((node) => node.type.length), 4));
    for (const node of shown) {
      const { mark: symbol, style } = MARKS[node.state];
      lines.push(`  ${output.style(style, symbol)} ${fit(`${node.id.padEnd(idWidth)}  ${node.type.padEnd(typeWidth)}  ${node.state}${node.note ? `  ${node.note}` : ''}`)}`);
    }
    if (shown.length < nodes.length) lines.push(`  … ${nodes.length - shown.length} more`);
    const rewind = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\r\x1b[J` : '';
    output.write(`${rewind}${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }
}

/**
 * Follows an execution's events until its history ends, showing them as `output` asks (a live
 * view on a terminal, plain lines elsewhere, or one JSON event per line), and answers its final
 * record. `after` is the index to read after (-1: from the first event).
 */
export async function followExecution(api: FireflowApi, execution: ExecutionRecord, output: Output, after = -1): Promise<ExecutionRecord> {
  const nodes = await api.getFlow(execution.flowId).then(
    (flow) => (flow.version === execution.flowVersion ? flow.definition.nodes : []),
    () => [],
  );
  const progress = new ExecutionProgress(nodes, `${execution.flowId} v${execution.flowVersion} · ${execution.executionId}`);
  const live = output.tty ? new LiveView(output, progress, Date.parse(execution.createdAt)) : undefined;
  let next = after;
  try {
    for (;;) {
      const page = await api.getEvents(execution.executionId, next, EVENTS_WAIT_MS);
      for (const event of page.events) {
        const text = progress.apply(event);
        if (output.json) output.document(event);
        else if (!live) output.line(text);
      }
      live?.update(page.events.some((event) => event.type === 'node:waiting') ? 'waiting' : 'running');
      next = page.nextAfter;
      if (page.done) break;
    }
  } catch (error) {
    live?.end(await api.getExecution(execution.executionId).catch(() => execution));
    throw error;
  }
  const record = await api.getExecution(execution.executionId);
  live?.end(record);
  return record;
}
