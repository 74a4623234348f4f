export interface AcquireResult {
  acquired: boolean;
  /** The holder's token: only it releases or extends the lock. Empty when not acquired. */
  lockId: string;
  /** Strictly increasing per key over every grant ever made; present when acquired. */
  fencingToken?: number;
}

export interface ReleaseResult {
  released: boolean;
}

export interface ExtendResult {
  extended: boolean;
}

export interface LockState {
  held: boolean;
  /** ISO-8601 time the current lease ends, on the database clock; present when held. */
  expiresAt?: string;
  fencingToken?: number;
}

/** Distributed named locks with a TTL, as used by flows (`context.services.flowLock`) and Lambdas. */
export interface IFlowLockService {
  /** lockTtlMs is REQUIRED — never pass 0. waitTimeoutMs 0 tries once. */
  acquire(lockKey: string, lockTtlMs: number, waitTimeoutMs: number): Promise<AcquireResult>;
  release(lockKey: string, lockId: string): Promise<ReleaseResult>;
}
