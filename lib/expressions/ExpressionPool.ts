import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { NodeError } from '../errors.js';
import type { EvaluationAnswer, EvaluationRequest } from './expressionThread.js';

/** The bounds of one evaluation. */
export interface ExpressionLimits {
  timeoutMs: number;
  maxDepth: number;
  maxOutputBytes: number;
}

export interface ExpressionPoolOptions {
  /** Threads evaluating at once. Default 2. */
  threads?: number;
  /** Heap of each thread (EXPRESSION_MAX_MEMORY_MB): an evaluation that needs more fails. Default 128. */
  maxMemoryMb?: number;
}

/** How long past its deadline a blocked thread is given before it is stopped. */
const DEADLINE_GRACE_MS = 100;

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
  job: (Job & { id: number; timer: NodeJS.Timeout }) | undefined;
}

/**
 * Evaluates JSONata expressions in worker threads with a bounded heap, one evaluation per thread
 * at a time. JSONata checks the deadline and depth between its steps; a single step that never
 * yields (a huge `$pad`, a regular expression that backtracks without end) or exhausts the heap
 * is stopped by ending its thread, which is replaced. The worker's own event loop is never
 * blocked, and other executions go on.
 */
export class ExpressionPool {
  private readonly lanes: Lane[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private readonly threads: number;
  private readonly maxMemoryMb: number;

  constructor(options: ExpressionPoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? 2);
    this.maxMemoryMb = options.maxMemoryMb ?? 128;
  }

  /** Starts every thread now rather than at the first evaluation (a thread takes a few hundred ms to start). */
  start(): void {
    for (let started = this.lanes.length; started < this.threads; started += 1) this.startLane();
  }

  /** The result of `expression` on `input`, as plain JSON data (null for no match). */
  evaluate(expression: string, input: unknown, limits: ExpressionLimits): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { expression, input, timeoutMs: limits.timeoutMs, maxDepth: limits.maxDepth, maxOutputBytes: limits.maxOutputBytes }, resolve, reject });
      this.dispatch();
    });
  }

  /** Ends every thread; evaluations still queued or running fail. */
  async close(): Promise<void> {
    const lanes = this.lanes.splice(0);
    this.failQueued(new NodeError('ExpressionError', 'the expression pool closed'));
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const lane = this.lanes.find((candidate) => candidate.ready && candidate.job === undefined);
      if (!lane) {
        if (this.lanes.length < this.threads) this.startLane();
        return;
      }
      const job = this.queue.shift() as Job;
      const id = (this.nextId += 1);
      const { timeoutMs } = job.request;
      // Past the deadline and its grace the thread is stuck in a step that never yields.
      const stuck = lane;
      lane.job = { ...job, id, timer: setTimeout(() => this.replace(stuck, (pending) => pending.reject(this.stopped(pending, 'timeout'))), timeoutMs + DEADLINE_GRACE_MS) };
      lane.job.timer.unref();
      try {
        lane.worker.postMessage({ ...job.request, id } satisfies EvaluationRequest);
      } catch (error) {
        // The input cannot be copied to the thread (it came from JSON, so this is not expected).
        this.settle(lane, (pending) => pending.reject(new NodeError('ExpressionError', `the input cannot be evaluated: ${(error as Error).message}`, { cause: error })));
      }
    }
  }

  private startLane(): void {
    if (!THREAD_FILE) return this.failQueued(new NodeError('ExpressionError', 'expressionThread is missing beside ExpressionPool'));
    // No loader flags of the parent's (tsx): the thread's one file loads as it is, and fast.
    const worker = new Worker(THREAD_FILE, { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: this.maxMemoryMb, maxYoungGenerationSizeMb: Math.max(8, Math.ceil(this.maxMemoryMb / 8)) } });
    worker.unref();
    const lane: Lane = { worker, ready: false, job: undefined };
    worker.on('message', (answer: EvaluationAnswer | 'ready') => {
      if (answer === 'ready') {
        lane.ready = true;
        this.dispatch();
      } else if (lane.job?.id === answer.id) this.settle(lane, (job) => this.answer(job, answer));
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (!lane.ready) {
        // A thread that cannot start would fail again: the waiting evaluations fail instead.
        this.lanes.splice(this.lanes.indexOf(lane), 1);
        return this.failQueued(new NodeError('ExpressionError', `the JSONata thread did not start: ${error.message}`, { cause: error }));
      }
      const failure =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new NodeError('ExpressionError', `JSONata stopped: the evaluation needed more than EXPRESSION_MAX_MEMORY_MB (${this.maxMemoryMb})`, { cause: error, details: { reason: 'memory' } })
          : new NodeError('ExpressionError', `JSONata failed: ${error.message}`, { cause: error });
      this.replace(lane, (job) => job.reject(failure));
    });
    this.lanes.push(lane);
  }

  private failQueued(error: NodeError): void {
    for (const job of this.queue.splice(0)) job.reject(error);
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
    job.reject(new NodeError('ExpressionError', `JSONata failed: ${jsonataMessage(answer)}`));
  }

  private stopped(job: Job, reason: 'depth' | 'timeout'): NodeError {
    const limit = reason === 'depth' ? `EXPRESSION_MAX_DEPTH (${job.request.maxDepth})` : `EXPRESSION_TIMEOUT_MS (${job.request.timeoutMs} ms)`;
    return new NodeError('ExpressionError', `JSONata stopped: the expression went past ${limit}`, { details: { reason } });
  }

  private replace(lane: Lane, failJob: (job: Job) => void): void {
    const index = this.lanes.indexOf(lane);
    if (index !== -1) this.lanes.splice(index, 1);
    lane.worker.removeAllListeners('message');
    lane.worker.removeAllListeners('error');
    lane.worker.on('error', () => undefined);
    void lane.worker.terminate();
    this.settle(lane, failJob);
  }

  private settle(lane: Lane, finish: (job: Job) => void): void {
    const job = lane.job;
    lane.job = undefined;
    if (job) {
      clearTimeout(job.timer);
      finish(job);
    }
    this.dispatch();
  }
}

/** JSONata's own codes for a guardrail: too deep, too long. */
const GUARDRAILS: Record<string, 'depth' | 'timeout'> = { D1011: 'depth', D1012: 'timeout' };

/** A JSONata error's message with where it stands in the expression. */
export function jsonataMessage(error: { message?: string; position?: number | undefined }): string {
  return error.position === undefined ? String(error.message) : `${error.message} (at character ${error.position})`;
}
