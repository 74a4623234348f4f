import { LambdaClient } from '@aws-sdk/client-lambda';
import { FireflowClient } from '../lib/client/FireflowClient.js';
import { LambdaFlowLockService } from '../lib/client/LambdaFlowLockService.js';
import { FireflowError } from '../lib/errors.js';
import type { FireflowApi } from './api.js';
import { CliError, EXIT } from './errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The invoke functions (`--lambda`), through FireflowClient and LambdaFlowLockService. A local
 * endpoint (LAMBDA_ENDPOINT on this machine, e.g. serverless-offline) gets a region and dummy
 * credentials, which it ignores; otherwise the AWS SDK finds them as it always does.
 */
export class LambdaApi implements FireflowApi {
  readonly target: string;
  private readonly client: FireflowClient;
  private readonly locks: LambdaFlowLockService;

  constructor(options: { stage: string; endpoint: string | undefined }) {
    const prefix = `fireflow-${options.stage}-`;
    const local = options.endpoint !== undefined && LOOPBACK_HOSTS.has(new URL(options.endpoint).hostname);
    const lambdaClient = new LambdaClient({
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(local ? { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
    this.client = new FireflowClient({ lambdaClient, functionPrefix: prefix });
    this.locks = new LambdaFlowLockService({ lambdaClient, functionPrefix: prefix });
    this.target = `${prefix}* functions${options.endpoint === undefined ? '' : ` at ${options.endpoint}`}`;
  }

  saveFlow(flowId: string, definition: unknown) {
    return this.call(() => this.client.saveFlow(flowId, definition));
  }

  getFlow(flowId: string) {
    return this.call(() => this.client.getFlow(flowId));
  }

  listFlows(): never {
    throw needsHttp('flows ls', 'lists flows');
  }

  startExecution(flowId: string, request: { input?: unknown; idempotencyKey?: string }) {
    return this.call(() => this.client.startExecution(flowId, request));
  }

  listExecutions(): never {
    throw needsHttp('executions ls', "lists a flow's executions");
  }

  getExecution(executionId: string) {
    return this.call(() => this.client.getExecution(executionId));
  }

  getEvents(executionId: string, after: number, waitMs: number) {
    return this.call(() => this.client.getExecutionEvents(executionId, { after, waitMs }));
  }

  cancelExecution(executionId: string, reason?: string) {
    return this.call(() => this.client.cancelExecution(executionId, reason));
  }

  redriveExecution(executionId: string) {
    return this.call(() => this.client.redriveExecution(executionId));
  }

  sendSignal(executionId: string, signal: string, request: { payload?: unknown; signalId?: string }) {
    return this.call(() => this.client.sendSignal(executionId, signal, request));
  }

  inspectLock(): never {
    throw needsHttp('locks get', 'reads a lock');
  }

  acquireLock(lockKey: string, lockTtlMs: number, waitTimeoutMs: number) {
    return this.call(() => this.locks.acquire(lockKey, lockTtlMs, waitTimeoutMs));
  }

  releaseLock(lockKey: string, lockId: string) {
    return this.call(() => this.locks.release(lockKey, lockId));
  }

  /** One invocation: FireFlow's typed errors pass through; the SDK's own failures become CliErrors. */
  private async call<Answer>(invoke: () => Promise<Answer>): Promise<Answer> {
    try {
      return await invoke();
    } catch (error) {
      if (error instanceof FireflowError) throw error;
      throw sdkError(error, this.target);
    }
  }
}

function needsHttp(command: string, what: string): CliError {
  return new CliError(`${command} needs the HTTP API: no invoke function ${what}. Leave out --lambda`, EXIT.usage);
}

/** An AWS SDK failure (no answer, no such function, no credentials) as one line and its exit code. */
function sdkError(error: unknown, target: string): CliError {
  const failure = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = failure.$metadata?.httpStatusCode;
  if (failure.name === 'ResourceNotFoundException') return new CliError(`${failure.message ?? 'function not found'} (is --stage right?)`, EXIT.usage);
  if (status !== undefined && status >= 400 && status < 500) return new CliError(`${failure.name ?? 'Error'}: ${failure.message ?? ''}`, EXIT.usage);
  if (failure.name === 'CredentialsProviderError' || /region/i.test(failure.message ?? '')) {
    return new CliError(`cannot call ${target}: ${failure.message ?? failure.name} (set AWS credentials and AWS_REGION, or LAMBDA_ENDPOINT for the local stack)`, EXIT.usage);
  }
  const reason = failure.code ?? failure.message ?? failure.name ?? String(error);
  return new CliError(`cannot reach ${target} (${reason}): is it running (npm start)? Point LAMBDA_ENDPOINT at it`, EXIT.unreachable);
}
