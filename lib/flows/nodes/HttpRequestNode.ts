import { NodeError } from '../../errors.js';
import type { HttpClient, HttpResponse } from '../../http/client.js';
import { blockedDestinationOf, BodyTooLargeError } from '../../http/errors.js';
import { MAX_HTTP_REDIRECTS } from '../../limits.js';
import type { NodeType } from './types.js';

export const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** How much of a failing answer's body an HttpError carries. */
const ERROR_BODY_BYTES = 4_096;
const STATUS_CLASS = /^[1-5]xx$/;

/** A `failOnStatus` entry: a status code (100…599) or a class such as `"5xx"`. */
const isStatusPattern = (entry: unknown): boolean =>
  (typeof entry === 'number' && Number.isInteger(entry) && entry >= 100 && entry <= 599) || (typeof entry === 'string' && STATUS_CLASS.test(entry));

const statusMatches = (patterns: unknown[], status: number): boolean =>
  patterns.some((pattern) => pattern === status || pattern === `${Math.floor(status / 100)}xx`);

/** The first ERROR_BODY_BYTES of `text`, cut on a character boundary. */
function leadingBytes(text: string): { body: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength <= ERROR_BODY_BYTES) return { body: text, truncated: false };
  return { body: new TextDecoder().decode(bytes.subarray(0, ERROR_BODY_BYTES)).replace(/\uFFFD$/, ''), truncated: true };
}

function urlProblem(url: string): string | undefined {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? undefined : 'must be an http or https URL';
  } catch {
    return 'must be an absolute URL';
  }
}

/**
 * Outbound HTTP. An answer resolves `status`, `headers` and `body` (JSON when the answer says
 * so, else text), so the flow decides with a BranchNode, unless its status matches
 * `failOnStatus`: then the node fails with an `HttpError` (retry policies match it). A request
 * that gets no answer fails with a `NetworkError`.
 */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Sends the request and follows up to MAX_HTTP_REDIRECTS redirects, as browsers do (a 303, or a
 * 301/302 after a POST, goes on as a GET without a body), so that the limit holds and every hop
 * goes through the guarded client. No answer, a refused destination or one redirect too many fail
 * the node with a NetworkError.
 */
async function sendFollowingRedirects(
  http: HttpClient,
  firstUrl: string,
  request: { method: string; headers: Record<string, string>; body: string | undefined; signal: AbortSignal },
): Promise<HttpResponse> {
  let { method, body } = request;
  let url = firstUrl;
  let headers = request.headers;
  for (let redirects = 0; ; redirects += 1) {
    let response: HttpResponse;
    try {
      response = await http({ method, url, headers, body, signal: request.signal });
    } catch (error) {
      if (request.signal.aborted) throw error;
      const blocked = blockedDestinationOf(error);
      if (blocked) throw new NodeError('NetworkError', `${method} ${url} refused: ${blocked.message}`, { cause: error, details: { reason: 'blocked-destination', address: blocked.address } });
      throw new NodeError('NetworkError', `${method} ${url} failed: ${(error as Error).message}`, { cause: error });
    }
    const location = response.headers.location;
    if (!REDIRECTS.has(response.status) || location === undefined) return response;
    response.discardBody();
    if (redirects === MAX_HTTP_REDIRECTS) throw new NodeError('NetworkError', `${firstUrl}: more than ${MAX_HTTP_REDIRECTS} redirects`, { details: { reason: 'too-many-redirects' } });
    const from = new URL(url);
    const to = new URL(location, url);
    const problem = urlProblem(to.toString()) ?? (from.protocol === 'https:' && to.protocol === 'http:' ? 'would go from https to http' : undefined);
    if (problem) throw new NodeError('NetworkError', `${url} redirects to ${to.toString()}, which ${problem}`, { details: { reason: 'refused-redirect' } });
    // As browsers do: credentials go to the origin they were meant for, not to where it redirects.
    if (to.origin !== from.origin) headers = withoutCredentials(headers);
    url = to.toString();
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
    }
  }
}

/** Request headers that carry credentials: dropped when a redirect leaves the origin, and redacted wherever recorded. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'];

/** The values of `headers` (a plain object) whose names are among `names`, in any case. */
function headerValues(headers: unknown, names: readonly string[]): unknown[] {
  if (headers === null || typeof headers !== 'object') return [];
  return Object.entries(headers).flatMap(([name, value]) => (names.includes(name.toLowerCase()) ? [value] : []));
}

/** A `set-cookie` value and each cookie's `name=value` in it: a later node may pass either on. */
function cookieParts(setCookie: unknown): unknown[] {
  if (typeof setCookie !== 'string') return [];
  return [setCookie, ...setCookie.split(/,\s*(?=[^;,=\s]+=)/).map((cookie) => cookie.split(';')[0]?.trim())];
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  const kept = { ...headers };
  for (const name of CREDENTIAL_HEADERS) delete kept[name];
  return kept;
}

/**
 * The request's headers with lower-case names, checked and normalised by the Fetch API's Headers
 * as they always were (names in any case, values trimmed; a bad one throws its TypeError), and
 * a JSON content-type for a body that the node serialises and whose headers name none.
 */
function requestHeaders(given: unknown, serialised: boolean): Record<string, string> {
  const checked = new Headers(given as Record<string, string>);
  if (serialised && !checked.has('content-type')) checked.set('content-type', 'application/json');
  const headers: Record<string, string> = {};
  for (const [name, value] of checked) headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
  return headers;
}

/** The answer's body as text, read no further than `limit` bytes: past it the node fails `LimitExceeded`. */
async function readBody(response: HttpResponse, limit: number, request: string, signal: AbortSignal): Promise<string> {
  try {
    return (await response.readBody(limit)).toString('utf8');
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw new NodeError('LimitExceeded', `${request}: the answer is larger than MAX_NODE_OUTPUT_BYTES (${limit})`, {
        details: { setting: 'MAX_NODE_OUTPUT_BYTES', limit, actual: error.read },
      });
    }
    if (signal.aborted) throw error;
    throw new NodeError('NetworkError', `${request}: reading the answer failed: ${(error as Error).message}`, { cause: error });
  }
}

export const HttpRequestNode: NodeType = {
  type: 'HttpRequestNode',
  timeoutLimit: 'httpTimeoutMs',
  description: 'Sends an HTTP request and resolves the answer.',
  inputs: {
    url: { type: 'string', required: true },
    method: { type: 'string', default: 'GET' },
    headers: { type: 'object', default: {} },
    body: { type: 'any', default: null },
    failOnStatus: { type: 'array', default: [] },
  },
  outputs: { status: { type: 'number' }, headers: { type: 'object' }, body: { type: 'any' } },
  sensitiveValues: (inputs, outputs) => [...headerValues(inputs.headers, CREDENTIAL_HEADERS), ...headerValues(outputs?.headers, ['set-cookie']).flatMap(cookieParts)],
  validateStatic(inputs) {
    const problems: Array<{ port: string; message: string }> = [];
    if (typeof inputs.url === 'string') {
      const problem = urlProblem(inputs.url);
      if (problem) problems.push({ port: 'url', message: problem });
    }
    if (typeof inputs.method === 'string' && !METHODS.has(inputs.method.toUpperCase())) {
      problems.push({ port: 'method', message: `must be one of ${[...METHODS].join(', ')}` });
    }
    if (Array.isArray(inputs.failOnStatus)) {
      inputs.failOnStatus.forEach((entry, index) => {
        if (!isStatusPattern(entry)) problems.push({ port: `failOnStatus[${index}]`, message: 'must be a status code from 100 to 599 or a class such as "5xx"' });
      });
    }
    return problems;
  },
  async run(inputs, context) {
    const url = String(inputs.url);
    const method = String(inputs.method).toUpperCase();
    const failOnStatus = (inputs.failOnStatus ?? []) as unknown[];
    const urlIssue = urlProblem(url);
    const problem =
      (urlIssue && `url ${url}: ${urlIssue}`) ??
      (METHODS.has(method) ? undefined : `method ${method} is not supported`) ??
      (failOnStatus.every(isStatusPattern) ? undefined : 'failOnStatus must hold status codes and classes such as "5xx"');
    if (problem) throw new NodeError('InvalidInput', problem);
    const sendsBody = inputs.body !== null && inputs.body !== undefined && method !== 'GET' && method !== 'HEAD';
    const headers = requestHeaders(inputs.headers, sendsBody && typeof inputs.body !== 'string');
    const body = sendsBody ? (typeof inputs.body === 'string' ? inputs.body : JSON.stringify(inputs.body)) : undefined;
    const response = await sendFollowingRedirects(context.services.http, url, { method, headers, body, signal: context.signal });
    const text = await readBody(response, context.services.limits.maxNodeOutputBytes, `${method} ${url}`, context.signal);
    if (statusMatches(failOnStatus, response.status)) {
      throw new NodeError('HttpError', `${method} ${url} answered ${response.status}`, { details: { status: response.status, ...leadingBytes(text) } });
    }
    const isJson = /\bjson\b/i.test(response.headers['content-type'] ?? '');
    let parsed: unknown = text;
    if (isJson && text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed };
  },
};
