import { NodeError } from '../../errors.js';
import type { NodeType } from './types.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function urlProblem(url: string): string | undefined {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? undefined : 'must be an http or https URL';
  } catch {
    return 'must be an absolute URL';
  }
}

/**
 * Outbound HTTP. Any answer, 4xx and 5xx included, resolves `status`, `headers` and `body` (JSON
 * when the answer says so, else text), so the flow decides with a BranchNode; only a request
 * that gets no answer fails the node, with a `NetworkError`.
 */
export const HttpRequestNode: NodeType = {
  type: 'HttpRequestNode',
  description: 'Sends an HTTP request and resolves the answer.',
  inputs: {
    url: { type: 'string', required: true },
    method: { type: 'string', default: 'GET' },
    headers: { type: 'object', default: {} },
    body: { type: 'any', default: null },
  },
  outputs: { status: { type: 'number' }, headers: { type: 'object' }, body: { type: 'any' } },
  validateStatic(inputs) {
    const problems: Array<{ port: string; message: string }> = [];
    if (typeof inputs.url === 'string') {
      const problem = urlProblem(inputs.url);
      if (problem) problems.push({ port: 'url', message: problem });
    }
    if (typeof inputs.method === 'string' && !METHODS.has(inputs.method.toUpperCase())) {
      problems.push({ port: 'method', message: `must be one of ${[...METHODS].join(', ')}` });
    }
    return problems;
  },
  async run(inputs, context) {
    const url = String(inputs.url);
    const method = String(inputs.method).toUpperCase();
    const problem = urlProblem(url) ?? (METHODS.has(method) ? undefined : `method ${method} is not supported`);
    if (problem) throw new NodeError('InvalidInput', `url ${url}: ${problem}`);
    const headers = new Headers(inputs.headers as Record<string, string>);
    let body: string | undefined;
    if (inputs.body !== null && inputs.body !== undefined && method !== 'GET' && method !== 'HEAD') {
      body = typeof inputs.body === 'string' ? inputs.body : JSON.stringify(inputs.body);
      if (typeof inputs.body !== 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    let response: Response;
    try {
      response = await context.services.fetch(url, { method, headers, body, signal: context.signal });
    } catch (error) {
      if (context.signal.aborted) throw error;
      throw new NodeError('NetworkError', `${method} ${url} failed: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    const isJson = /\bjson\b/i.test(response.headers.get('content-type') ?? '');
    let parsed: unknown = text;
    if (isJson && text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, headers: Object.fromEntries(response.headers), body: parsed };
  },
};
