export * from './errors.js';
export { loadConfig, type FireflowConfig } from './config.js';
export { createPool, type Pool } from './db.js';
export type { AcquireResult, ExtendResult, IFlowLockService, LockState, ReleaseResult } from './locks/types.js';
export { PostgresFlowLockService, type PostgresFlowLockServiceOptions } from './locks/PostgresFlowLockService.js';
