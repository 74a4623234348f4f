import { ConflictError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, type FieldProblem } from '../lib/errors.js';
import type { FireflowApi } from './api.js';
import { CliError, EXIT } from './errors.js';

interface ErrorBody {
  error?: { code?: string; message?: string; details?: FieldProblem[] };
}

const segment = encodeURIComponent;

/** The HTTP API (`--api`, FIREFLOW_API_URL), with a bearer token when given. */
export class HttpApi implements FireflowApi {
  readonly target: string;

  constructor(
    baseUrl: string,
    private readonly token: string | undefined,
  ) {
    if (!URL.canParse(baseUrl)) throw new CliError(`--api ${baseUrl}: not a URL (e.g. http://localhost:3000)`, EXIT.usage);
    this.target = baseUrl.replace(/\/+$/, '');
  }

  saveFlow(flowId: string, definition: unknown) {
    return this.request<{ flowId: string; version: number }>('PUT', `/flows/${segment(flowId)}`, { body: definition });
  }

  getFlow(flowId: string) {
    return this.request<Awaited<ReturnType<FireflowApi['getFlow']>>>('GET', `/flows/${segment(flowId)}`);
  }

  listFlows() {
    return this.request<Awaited<ReturnType<FireflowApi['listFlows']>>>('GET', '/flows');
  }

  startExecution(flowId: string, request: { input?: unknown; idempotencyKey?: string }) {
    return this.request<Awaited<ReturnType<FireflowApi['startExecution']>>>('POST', `/flows/${segment(flowId)}/executions`, { body: request });
  }

  listExecutions(flowId: string, page: { limit?: number; cursor?: string }) {
    return this.request<Awaited<ReturnType<FireflowApi['listExecutions']>>>('GET', `/flows/${segment(flowId)}/executions`, { query: page });
  }

  getExecution(executionId: string) {
    return this.request<Awaited<ReturnType<FireflowApi['getExecution']>>>('GET', `/executions/${segment(executionId)}`);
  }

  getEvents(executionId: string, after: number, waitMs: number) {
    return this.request<Awaited<ReturnType<FireflowApi['getEvents']>>>('GET', `/executions/${segment(executionId)}/events`, { query: { after, waitMs } });
  }

  cancelExecution(executionId: string, reason?: string) {
    return this.request<Awaited<ReturnType<FireflowApi['cancelExecution']>>>('POST', `/executions/${segment(executionId)}/cancel`, { body: reason === undefined ? {} : { reason } });
  }

  redriveExecution(executionId: string) {
    return this.request<Awaited<ReturnType<FireflowApi['redriveExecution']>>>('POST', `/executions/${segment(executionId)}/redrive`, { body: {} });
  }

  sendSignal(executionId: string, signal: string, request: { payload?: unknown; signalId?: string }) {
    return this.request<{ accepted: true }>('POST', `/executions/${segment(executionId)}/signals/${segment(signal)}`, { body: request });
  }

  inspectLock(lockKey: string) {
    return this.request<Awaited<ReturnType<FireflowApi['inspectLock']>>>('GET', `/locks/${segment(lockKey)}`);
  }

  acquireLock(lockKey: string, lockTtlMs: number, waitTimeoutMs: number) {
    return this.request<Awaited<ReturnType<FireflowApi['acquireLock']>>>('POST', `/locks/${segment(lockKey)}/acquire`, { body: { lockTtlMs, waitTimeoutMs } });
  }

  releaseLock(lockKey: string, lockId: string) {
    return this.request<Awaited<ReturnType<FireflowApi['releaseLock']>>>('POST', `/locks/${segment(lockKey)}/release`, { body: { lockId } });
  }

  /** One request: JSON in and out; an error answer becomes FireFlow's typed error, no answer a CliError (exit 3). */
  private async request<Answer>(method: string, path: string, options: { body?: unknown; query?: Record<string, string | number | undefined> } = {}): Promise<Answer> {
    const url = new URL(`${this.target}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new CliError(`cannot reach the FireFlow API at ${this.target} (${reason}): is it running (npm start)? Point --api or FIREFLOW_API_URL at it`, EXIT.unreachable);
    }
    const text = await response.text();
    const answer = parseJson(text);
    if (response.ok) return answer as Answer;
    throw errorOf(response.status, answer as ErrorBody | undefined, `${method} ${url.pathname}`, this.target);
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An HTTP error answer as the error the command line reports. */
function errorOf(status: number, body: ErrorBody | undefined, request: string, target: string): Error {
  const message = body?.error?.message ?? `HTTP ${status}`;
  if (status >= 500) return new CliError(`the FireFlow API answered ${status} to ${request}: ${message}`, EXIT.unreachable);
  switch (status) {
    case 400:
      return new ValidationError(body?.error?.details ?? [{ field: '(input)', message }]);
    case 404:
      return body?.error ? new NotFoundError(message) : new CliError(`${request}: 404 without a FireFlow error: is ${target} the FireFlow API? (--api, FIREFLOW_API_URL)`, EXIT.usage);
    case 409:
      return new ConflictError(message);
    case 413:
      return new PayloadTooLargeError(message);
    case 415:
      return new UnsupportedMediaTypeError(message);
    case 401:
    case 403:
      return new CliError(`the FireFlow API refused ${request} (${status}): pass a token with the right scope (--token or FIREFLOW_TOKEN)`, EXIT.usage);
    default:
      return new CliError(`the FireFlow API answered ${status} to ${request}: ${message}`, EXIT.usage);
  }
}
