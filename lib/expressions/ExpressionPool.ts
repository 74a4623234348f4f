import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { NodeError } from '../errors.js';
import { hasLinearCost, isSmallInput } from './cost.js';
import { evaluateRequest, type EvaluationAnswer, type EvaluationRequest, type ThreadData } from './expressionThread.js';

/** The bounds of one evaluation. */
export interface ExpressionLimits {
  timeoutMs: number;
  maxDepth: number;
  maxOutputBytes: number;
}

export interface ExpressionPoolOptions {
  /** Threads evaluating at once. Default 2. */
  threads?: number;
  /** Heap of each thread (EXPRESSION_MAX_MEMORY_MB): an evaluation that needs over half of it fails. Default 256. */
  maxMemoryMb?: number;
}

/** How long past its deadline a thread still busy with an evaluation is given before it is stopped. */
const DEADLINE_GRACE_MS = 100;
/** Most evaluations sent to a thread in one message: a message's round trip costs far more than a small evaluation. */
const MAX_BATCH = 32;
/** Most expressions whose cost class is remembered. */
const COST_CACHE_LIMIT = 500;

/** The thread's file: beside this one in the sources (TypeScript, loaded as it is) or in a bundle's folder. */
const THREAD_FILE = ['expressionThread.mjs', 'expressionThread.ts']
  .map((name) => new URL(`./${name}`, import.meta.url))
  .find((url) => existsSync(url));

interface Job {
  request: Omit<EvaluationRequest, 'id'>;
  resolve(value: unknown): void;
  reject(error: NodeError): void;
}

interface Lane {
  worker: Worker;
  ready: boolean;
  /** [id of the evaluation running now or 0, when it started]: written by the thread. */
  progress: Float64Array;
  /** The batch the thread holds, by evaluation id. */
  batch: Map<number, Job> | undefined;
  watchdog: NodeJS.Timeout | undefined;
}

/**
 * Evaluates JSONata expressions in worker threads with a bounded heap. JSONata checks the
 * deadline and depth between its steps; a single step that never yields (a huge `$pad`, a regular
 * expression that backtracks without end) or exhausts the heap is stopped by ending its thread,
 * which is replaced: the evaluation that was running fails, the rest of its batch goes to another
 * thread. The worker's own event loop is never blocked, and other executions go on.
 *
 * An expression whose cost is linear in its size and its input's (./cost.ts), on a small input,
 * is evaluated right here instead, the same way: a message to a thread and back costs far more
 * than such an evaluation, and it cannot run long or allocate much.
 */
export class ExpressionPool {
  private readonly lanes: Lane[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private readonly linearCost = new Map<string, boolean>();
  private readonly threads: number;
  private readonly maxMemoryMb: number;

  constructor(options: ExpressionPoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? 2);
    this.maxMemoryMb = options.maxMemoryMb ?? 256;
  }

  /** Starts every thread now rather than at the first evaluation (a thread takes a few hundred ms to start). */
  start(): void {
    for (let started = this.lanes.length; started < this.threads; started += 1) this.startLane();
  }

  /** The result of `expression` on `input`, as plain JSON data (null for no match). */
  evaluate(expression: string, input: unknown, limits: ExpressionLimits): Promise<unknown> {
    const request = { expression, input, timeoutMs: limits.timeoutMs, maxDepth: limits.maxDepth, maxOutputBytes: limits.maxOutputBytes };
    if (this.hasLinearCost(expression) && isSmallInput(input)) {
      return evaluateRequest({ ...request, id: 0 }).then((answer) => new Promise((resolve, reject) => this.answer({ request, resolve, reject }, answer)));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  private hasLinearCost(expression: string): boolean {
    let linear = this.linearCost.get(expression);
    if (linear === undefined) {
      linear = hasLinearCost(expression);
      if (this.linearCost.size >= COST_CACHE_LIMIT) this.linearCost.clear();
      this.linearCost.set(expression, linear);
    }
    return linear;
  }

  /** Ends every thread; evaluations still queued or running fail. */
  async close(): Promise<void> {
    const lanes = this.lanes.splice(0);
    const closed = new NodeError('ExpressionError', 'the expression pool closed');
    this.failQueued(closed);
    for (const lane of lanes) {
      clearTimeout(lane.watchdog);
      lane.worker.removeAllListeners('exit');
      for (const job of lane.batch?.values() ?? []) job.reject(closed);
    }
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const lane = this.lanes.find((candidate) => candidate.ready && candidate.batch === undefined);
      if (!lane) {
        if (this.lanes.length < this.threads) this.startLane();
        return;
      }
      const batch = new Map<number, Job>();
      const requests: EvaluationRequest[] = [];
      for (const job of this.queue.splice(0, MAX_BATCH)) {
        const id = (this.nextId += 1);
        batch.set(id, job);
        requests.push({ ...job.request, id });
      }
      lane.batch = batch;
      try {
        lane.worker.postMessage(requests);
      } catch (error) {
        // An input that cannot be copied to the thread (inputs come from JSON, so not expected).
        lane.batch = undefined;
        for (const job of batch.values()) job.reject(new NodeError('ExpressionError', `the input cannot be evaluated: ${(error as Error).message}`, { cause: error }));
        continue;
      }
      this.watch(lane, Math.min(...requests.map((request) => request.timeoutMs)) + DEADLINE_GRACE_MS);
    }
  }

  /** Checks, `afterMs` from now, that the evaluation the thread is running is within its deadline. */
  private watch(lane: Lane, afterMs: number): void {
    lane.watchdog = setTimeout(() => {
      const id = lane.progress[0] as number;
      const job = lane.batch?.get(id);
      if (!job) return lane.batch && this.watch(lane, DEADLINE_GRACE_MS);
      const overdueInMs = (lane.progress[1] as number) + job.request.timeoutMs + DEADLINE_GRACE_MS - Date.now();
      if (overdueInMs > 0) return this.watch(lane, overdueInMs);
      this.replace(lane, id, this.stopped(job, 'timeout'));
    }, afterMs);
    lane.watchdog.unref();
  }

  private startLane(): void {
    if (!THREAD_FILE) return this.failQueued(new NodeError('ExpressionError', 'expressionThread is missing beside ExpressionPool'));
    const progress = new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT);
    // No loader flags of the parent's (tsx): the thread's one file loads as it is, and fast.
    const worker = new Worker(THREAD_FILE, {
      execArgv: [],
      workerData: { progress } satisfies ThreadData,
      resourceLimits: { maxOldGenerationSizeMb: this.maxMemoryMb, maxYoungGenerationSizeMb: Math.max(8, Math.ceil(this.maxMemoryMb / 8)) },
    });
    worker.unref();
    const lane: Lane = { worker, ready: false, progress: new Float64Array(progress), batch: undefined, watchdog: undefined };
    worker.on('message', (message: EvaluationAnswer[] | 'ready') => {
      if (message === 'ready') lane.ready = true;
      else this.settle(lane, message);
      this.dispatch();
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (!lane.ready) {
        // A thread that cannot start would fail again: the waiting evaluations fail instead.
        this.lanes.splice(this.lanes.indexOf(lane), 1);
        return this.failQueued(new NodeError('ExpressionError', `the JSONata thread did not start: ${error.message}`, { cause: error }));
      }
      const failure = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? this.outOfMemory(`it needed more than EXPRESSION_MAX_MEMORY_MB (${this.maxMemoryMb})`) : new NodeError('ExpressionError', `JSONata failed: ${error.message}`, { cause: error });
      this.replace(lane, lane.progress[0] as number, failure);
    });
    worker.on('exit', () => {
      if (this.lanes.includes(lane)) this.replace(lane, lane.progress[0] as number, new NodeError('ExpressionError', 'JSONata failed: its thread ended'));
    });
    this.lanes.push(lane);
  }

  private settle(lane: Lane, answers: EvaluationAnswer[]): void {
    clearTimeout(lane.watchdog);
    const batch = lane.batch;
    lane.batch = undefined;
    for (const answer of answers) {
      const job = batch?.get(answer.id);
      if (job) this.answer(job, answer);
    }
  }

  /** Ends a lane's thread: evaluation `culprit` fails with `failure`, the rest of its batch is evaluated again elsewhere. */
  private replace(lane: Lane, culprit: number, failure: NodeError): void {
    clearTimeout(lane.watchdog);
    const index = this.lanes.indexOf(lane);
    if (index !== -1) this.lanes.splice(index, 1);
    lane.worker.removeAllListeners('message');
    lane.worker.removeAllListeners('error');
    lane.worker.removeAllListeners('exit');
    lane.worker.on('error', () => undefined);
    void lane.worker.terminate();
    const batch = lane.batch;
    lane.batch = undefined;
    const others: Job[] = [];
    for (const [id, job] of batch ?? []) {
      if (id === culprit) job.reject(failure);
      else others.push(job);
    }
    this.queue.unshift(...others);
    this.dispatch();
  }

  private answer(job: Job, answer: EvaluationAnswer): void {
    if (answer.ok) return job.resolve(JSON.parse(answer.json));
    if (answer.kind === 'size') {
      const limit = job.request.maxOutputBytes;
      return job.reject(
        new NodeError('LimitExceeded', `the expression's result is ${answer.bytes} bytes of JSON; MAX_NODE_OUTPUT_BYTES is ${limit}`, {
          details: { setting: 'MAX_NODE_OUTPUT_BYTES', limit, actual: answer.bytes },
        }),
      );
    }
    const reason = GUARDRAILS[answer.code ?? ''];
    if (reason) return job.reject(this.stopped(job, reason));
    if (answer.code === 'memory') return job.reject(this.outOfMemory(answer.message));
    job.reject(new NodeError('ExpressionError', `JSONata failed: ${jsonataMessage(answer)}`));
  }

  private outOfMemory(why: string): NodeError {
    return new NodeError('ExpressionError', `JSONata stopped: ${why}`, { details: { reason: 'memory' } });
  }

  private stopped(job: Job, reason: 'depth' | 'timeout'): NodeError {
    const limit = reason === 'depth' ? `EXPRESSION_MAX_DEPTH (${job.request.maxDepth})` : `EXPRESSION_TIMEOUT_MS (${job.request.timeoutMs} ms)`;
    return new NodeError('ExpressionError', `JSONata stopped: the expression went past ${limit}`, { details: { reason } });
  }

  private failQueued(error: NodeError): void {
    for (const job of this.queue.splice(0)) job.reject(error);
  }
}

/** JSONata's own codes for a guardrail: too deep, too long. */
const GUARDRAILS: Record<string, 'depth' | 'timeout'> = { D1011: 'depth', D1012: 'timeout' };

/** A JSONata error's message with where it stands in the expression. */
export function jsonataMessage(error: { message?: string; position?: number | undefined }): string {
  return error.position === undefined ? String(error.message) : `${error.message} (at character ${error.position})`;
}
