import { LambdaClient } from '@aws-sdk/client-lambda';
import { config } from '../config.js';
import type { AcquireResult, ExtendResult, IFlowLockService, ReleaseResult } from '../locks/types.js';
import { invokeFireflow } from './invoke.js';

export interface FireflowClientOptions {
  /** Default: a client for the current region (LAMBDA_ENDPOINT when set, e.g. the local stack). */
  lambdaClient?: LambdaClient;
  /** Prefix of FireFlow's function names. Default `fireflow-${STAGE}-`. */
  functionPrefix?: string;
}

export function resolveClientOptions(options: FireflowClientOptions): { lambda: LambdaClient; prefix: string } {
  const settings = config();
  return {
    lambda: options.lambdaClient ?? new LambdaClient(settings.lambdaEndpoint ? { endpoint: settings.lambdaEndpoint } : {}),
    prefix: options.functionPrefix ?? `fireflow-${settings.stage}-`,
  };
}

/**
 * The lock service for other Lambdas: the same contract as PostgresFlowLockService, through
 * FireFlow's `acquireLock`, `releaseLock` and `extendLock` functions. Bad arguments throw the
 * remote ValidationError, typed.
 */
export class LambdaFlowLockService implements IFlowLockService {
  private readonly lambda: LambdaClient;
  private readonly prefix: string;

  constructor(options: FireflowClientOptions = {}) {
    ({ lambda: this.lambda, prefix: this.prefix } = resolveClientOptions(options));
  }

  acquire(lockKey: string, lockTtlMs: number, waitTimeoutMs: number): Promise<AcquireResult> {
    return invokeFireflow(this.lambda, `${this.prefix}acquireLock`, { lockKey, lockTtlMs, waitTimeoutMs });
  }

  release(lockKey: string, lockId: string): Promise<ReleaseResult> {
    return invokeFireflow(this.lambda, `${this.prefix}releaseLock`, { lockKey, lockId });
  }

  extend(lockKey: string, lockId: string, lockTtlMs: number): Promise<ExtendResult> {
    return invokeFireflow(this.lambda, `${this.prefix}extendLock`, { lockKey, lockId, lockTtlMs });
  }
}
