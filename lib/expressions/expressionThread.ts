// The thread that evaluates JSONata for ExpressionPool, and the evaluation itself. It imports
// nothing of FireFlow's, so that Node loads it as it is (type stripping) from the sources and as
// one file from a bundle; imported elsewhere, it only exports.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
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
/** Only a pool's thread looks at its heap: it is that thread's own, sized for evaluations alone. */
let watchesHeap = false;
const tooLarge = (message: string) => ({ code: 'memory', message });

/** Checks each step's result against the output limit, and the heap now and then. */
function stepCheck(maxOutputBytes: number) {
  return (_expr: unknown, _input: unknown, _environment: unknown, result?: unknown): void => {
    if (typeof result === 'string' && result.length > maxOutputBytes) throw tooLarge(`a text of ${result.length} characters is longer than MAX_NODE_OUTPUT_BYTES allows`);
    steps += 1;
    if (watchesHeap && steps % HEAP_CHECK_EVERY === 0 && getHeapStatistics().used_heap_size > heapLimit * HEAP_SHARE) {
      throw tooLarge(`the evaluation filled more than half of the thread's heap (EXPRESSION_MAX_MEMORY_MB)`);
    }
  };
}

type Implementation = (...args: unknown[]) => unknown;
let builtInPad: Promise<Implementation> | undefined;

/** `$pad` that refuses, before it allocates, a width past the output limit. */
async function boundedPad(maxOutputBytes: number): Promise<Implementation> {
  builtInPad ??= (jsonata('$pad').evaluate(null) as Promise<{ implementation: Implementation }>).then((pad) => pad.implementation);
  const pad = await builtInPad;
  return (text, width, char) => {
    if (typeof width === 'number' && Math.abs(width) > maxOutputBytes) throw tooLarge(`$pad to ${width} characters is longer than MAX_NODE_OUTPUT_BYTES allows`);
    return pad(text, width, char);
  };
}

const compiled = new Map<string, jsonata.Expression>();
const COMPILED_LIMIT = 500;

async function compile(request: EvaluationRequest): Promise<jsonata.Expression> {
  const key = `${request.timeoutMs}:${request.maxDepth}:${request.maxOutputBytes}:${request.expression}`;
  let found = compiled.get(key);
  if (!found) {
    found = jsonata(request.expression, { timeout: request.timeoutMs, stack: request.maxDepth } as jsonata.JsonataOptions);
    const check = stepCheck(request.maxOutputBytes);
    found.assign(Symbol.for('jsonata.__evaluate_entry') as unknown as string, check);
    found.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, check);
    found.registerFunction('pad', await boundedPad(request.maxOutputBytes), '<s-ns?:s>');
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(key, found);
  }
  return found;
}

/**
 * Evaluates one request: the result as JSON text within the output limit, or why not. Used by
 * this thread, and by the pool itself for expressions whose cost is bounded (./cost.ts).
 */
export async function evaluateRequest(request: EvaluationRequest): Promise<EvaluationAnswer> {
  const { id } = request;
  try {
    const result = await (await compile(request)).evaluate(request.input);
    const json = result === undefined ? 'null' : JSON.stringify(result);
    // Measured here, so that an oversized result never crosses to the main thread.
    const bytes = Buffer.byteLength(json);
    return bytes > request.maxOutputBytes ? { id, ok: false, kind: 'size', bytes } : { id, ok: true, json };
  } catch (error) {
    const { code, message, position } = error as { code?: string; message?: string; position?: number };
    return { id, ok: false, kind: 'jsonata', code, message: String(message ?? error), position };
  }
}

/** In a pool's thread: a batch at a time, one evaluation after another; the pool sends the next batch once this one is answered. */
function serve(port: MessagePort, progress: Float64Array): void {
  watchesHeap = true;
  port.on('message', (batch: EvaluationRequest[]) => {
    void (async () => {
      const answers: EvaluationAnswer[] = [];
      for (const request of batch) {
        progress[1] = Date.now();
        progress[0] = request.id;
        answers.push(await evaluateRequest(request));
      }
      progress[0] = 0;
      port.postMessage(answers);
    })();
  });
  // Deadlines count from here: starting a thread takes time that no expression should be charged.
  port.postMessage('ready');
}

if (parentPort && (workerData as Partial<ThreadData> | null)?.progress) serve(parentPort, new Float64Array((workerData as ThreadData).progress));
