// The thread that evaluates JSONata for ExpressionPool. It imports nothing of FireFlow's, so that
// Node loads it as it is (type stripping) from the sources and as one file from a bundle.
import { parentPort } from 'node:worker_threads';
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

const compiled = new Map<string, jsonata.Expression>();
const COMPILED_LIMIT = 500;

function compile(request: EvaluationRequest): jsonata.Expression {
  const key = `${request.timeoutMs}:${request.maxDepth}:${request.expression}`;
  let found = compiled.get(key);
  if (!found) {
    found = jsonata(request.expression, { timeout: request.timeoutMs, stack: request.maxDepth } as jsonata.JsonataOptions);
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

parentPort?.on('message', (request: EvaluationRequest) => {
  void evaluate(request).then((answer) => parentPort?.postMessage(answer));
});
// Deadlines count from here: starting a thread takes time that no expression should be charged.
parentPort?.postMessage('ready');
