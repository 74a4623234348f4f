import type { FlowDefinition } from '../../lib/flows/definition.js';
import type { FlowEvent } from '../../lib/graph/states.js';

// The console's only way out: the public HTTP API, on the origin that served the page, with the
// person's own JWT when the API asks for one.

export type ExecutionStatus = 'created' | 'running' | 'completed' | 'failed' | 'stopped';

export interface ErrorRecord {
  type: string;
  message: string;
  nodeId?: string;
  details?: unknown;
}

export interface Execution {
  executionId: string;
  flowId: string;
  flowVersion: number;
  status: ExecutionStatus;
  input: unknown;
  output: unknown;
  error: ErrorRecord | null;
  parentExecutionId: string | null;
  rootExecutionId: string;
  depth: number;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  redriveCount: number;
  parentNodeId: string | null;
  itemIndex: number | null;
}

export interface FlowSummary {
  flowId: string;
  version: number;
  name: string | null;
}

export interface StoredFlow {
  flowId: string;
  version: number;
  definition: FlowDefinition;
}

export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

export interface EventsPage {
  events: FlowEvent[];
  nextAfter: number;
  done: boolean;
}

export interface LockState {
  lockKey: string;
  held: boolean;
  expiresAt?: string;
  fencingToken?: number;
}

export const ENDED: readonly ExecutionStatus[] = ['completed', 'failed', 'stopped'];

/** An answer the API gave as `{error: {code, message, details?}}`, or a failure to reach it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'fireflow.console.token';

/** The token for this browser session (sessionStorage: gone when the tab closes). */
export const auth = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  setToken(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token.replace(/^Bearer\s+/i, '').trim());
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

type TokenRequest = (reason: 'missing' | 'rejected') => Promise<void>;
let requestToken: TokenRequest | undefined;

/** The app asks the person for a token through this when the API answers 401. */
export function onTokenNeeded(handler: TokenRequest): void {
  requestToken = handler;
}

export const IAM_MESSAGE =
  'This API is behind the AWS_IAM authorizer, which a browser cannot sign requests for. The console needs the API deployed with the JWT authorizer (HTTP_AUTHORIZER=jwt), or the local stack (npm start).';

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  for (;;) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = auth.token();
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: signal ?? null });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(0, 'NetworkError', 'The API could not be reached. Is the stack running?');
    }
    const text = await response.text();
    let parsed: any;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed as T;
    if (response.status === 401 && requestToken) {
      await requestToken(token ? 'rejected' : 'missing');
      continue;
    }
    if (parsed?.error?.code) throw new ApiError(response.status, parsed.error.code, parsed.error.message, parsed.error.details);
    if (response.status === 403) {
      throw new ApiError(403, 'Forbidden', token ? 'The token was accepted but lacks the scope this needs (fireflow/read, fireflow/run, fireflow/author or fireflow/locks).' : IAM_MESSAGE);
    }
    throw new ApiError(response.status, 'HttpError', `The API answered ${response.status}${parsed?.message ? `: ${parsed.message}` : ''}`);
  }
}

const enc = encodeURIComponent;

export const api = {
  listFlows: () => request<{ items: FlowSummary[] }>('GET', '/flows'),
  getFlow: (flowId: string, version?: number) => request<StoredFlow>('GET', `/flows/${enc(flowId)}${version === undefined ? '' : `?version=${version}`}`),
  listExecutions: (flowId: string, cursor?: string | null) =>
    request<Page<Execution>>('GET', `/flows/${enc(flowId)}/executions?limit=20${cursor ? `&cursor=${enc(cursor)}` : ''}`),
  startExecution: (flowId: string, input: unknown, idempotencyKey?: string) =>
    request<{ executionId: string; status: ExecutionStatus }>('POST', `/flows/${enc(flowId)}/executions`, { input, ...(idempotencyKey ? { idempotencyKey } : {}) }),
  getExecution: (executionId: string, signal?: AbortSignal) => request<Execution>('GET', `/executions/${enc(executionId)}`, undefined, signal),
  events: (executionId: string, after: number, waitMs: number, signal?: AbortSignal) =>
    request<EventsPage>('GET', `/executions/${enc(executionId)}/events?after=${after}&waitMs=${waitMs}`, undefined, signal),
  children: (executionId: string, cursor?: string | null) =>
    request<Page<Execution>>('GET', `/executions/${enc(executionId)}/children?limit=50${cursor ? `&cursor=${enc(cursor)}` : ''}`),
  cancel: (executionId: string) => request<Execution>('POST', `/executions/${enc(executionId)}/cancel`, { reason: 'cancelled from the console' }),
  redrive: (executionId: string) => request<{ executionId: string; status: ExecutionStatus }>('POST', `/executions/${enc(executionId)}/redrive`, {}),
  signal: (executionId: string, signal: string, payload: unknown) =>
    request<{ accepted: true }>('POST', `/executions/${enc(executionId)}/signals/${enc(signal)}`, payload === undefined ? {} : { payload }),
  lock: (lockKey: string) => request<LockState>('GET', `/locks/${enc(lockKey)}`),
};
