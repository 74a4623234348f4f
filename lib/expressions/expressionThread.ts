// The thread that evaluates JSONata for ExpressionPool. It imports nothing of FireFlow's, so that
// Node loads it as it is (type stripping) from the sources and as one file from a bundle.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import jsonata from 'jsonata';

export interface EvaluationRequest {
  id: number;
  expression: string;
  input: unknown;
  timeoutMs: number;
  maxDepth: number;
  maxOutputBytes: number;
}

/** The result as JSON text (null for JSONata's "no match"), or why there is none. */
export type EvaluationAnswer =
  | { id: number; ok: true; json: string }
  | { id: number; ok: false; kind: 'jsonata'; code: string | undefined; message: string; position: number | undefined }
  | { id: number; ok: false; kind: 'size'; bytes: number };

/** Shared with the pool: the evaluation running now (0 for none) and when it started (Date.now()). */
export interface ThreadData {
  progress: SharedArrayBuffer;
}

const progress = new Float64Array((workerData as ThreadData).progress);

/**
 * Node ends a thread that reaches its heap limit only when it gets the chance: an allocation in
 * a tight loop can abort the whole process instead. So evaluations stop well before the limit:
 * the heap is looked at every few hundred steps, no text a step makes may be longer than the
 * output limit allows, and `$pad` is checked before it allocates.
 */
const HEAP_SHARE = 0.5;
const HEAP_CHECK_EVERY = 256;
const heapLimit = getHeapStatistics().heap_size_limit;
let steps = 0;
const tooLarge = (message: string) => ({ code: 'memory', message });

function checkStep(_expr: unknown, _input: unknown, _environment: unknown, result?: unknown): void {
  if (typeof result === 'string' && result.length > current.maxOutputBytes) throw tooLarge(`a text of ${result.length} characters is longer than MAX_NODE_OUTPUT_BYTES allows`);
  steps += 1;
  if (steps % HEAP_CHECK_EVERY === 0 && getHeapStatistics().used_heap_size > heapLimit * HEAP_SHARE) {
    throw tooLarge(`the evaluation filled more than half of the thread's heap (EXPRESSION_MAX_MEMORY_MB)`);
  }
}

let current: EvaluationRequest = { id: 0, expression: '', input: null, timeoutMs: 0, maxDepth: 0, maxOutputBytes: 0 };
const builtInPad = (await jsonata('$pad').evaluate(null)) as { implementation: (...args: unknown[]) => unknown };
function pad(text: unknown, width: unknown, char: unknown): unknown {
  if (typeof width === 'number' && Math.abs(width) > current.maxOutputBytes) throw tooLarge(`$pad to ${width} characters is longer than MAX_NODE_OUTPUT_BYTES allows`);
  return builtInPad.implementation(text, width, char);
}
const compiled = new Map<string, jsonata.Expression>();
const COMPILED_LIMIT = 500;

function compile(request: EvaluationRequest): jsonata.Expression {
  const key = `${request.timeoutMs}:${request.maxDepth}:${request.expression}`;
  let found = compiled.get(key);
  if (!found) {
    found = jsonata(request.expression, { timeout: request.timeoutMs, stack: request.maxDepth } as jsonata.JsonataOptions);
    found.assign(Symbol.for('jsonata.__evaluate_entry') as unknown as string, checkStep);
    found.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, checkStep);
    found.registerFunction('pad', pad, '<s-ns?:s>');
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(key, found);
  }
  return found;
}

async function evaluate(request: EvaluationRequest): Promise<EvaluationAnswer> {
  const { id } = request;
  try {
    const result = await compile(request).evaluate(request.input);
    const json = result === undefined ? 'null' : JSON.stringify(result);
    // Measured here, so that an oversized result never crosses to the main thread.
    const bytes = Buffer.byteLength(json);
    return bytes > request.maxOutputBytes ? { id, ok: false, kind: 'size', bytes } : { id, ok: true, json };
  } catch (error) {
    const { code, message, position } = error as { code?: string; message?: string; position?: number };
    return { id, ok: false, kind: 'jsonata', code, message: String(message ?? error), position };
  }
}

// A batch at a time, one evaluation after another: the pool sends the next batch once this one is answered.
parentPort?.on('message', (batch: EvaluationRequest[]) => {
  void (async () => {
    const answers: EvaluationAnswer[] = [];
    for (const request of batch) {
      current = request;
      progress[1] = Date.now();
      progress[0] = request.id;
      answers.push(await evaluate(request));
    }
    progress[0] = 0;
    parentPort?.postMessage(answers);
  })();
});
// Deadlines count from here: starting a thread takes time that no expression should be charged.
parentPort?.postMessage('ready');
