import { sharedPool } from '../db.js';
import { PostgresFlowLockService } from './PostgresFlowLockService.js';

let service: PostgresFlowLockService | undefined;

/** The lock service of this process (a warm Lambda reuses it), on the process's shared pool. */
export function sharedLockService(): PostgresFlowLockService {
  service ??= new PostgresFlowLockService({ pool: sharedPool() });
  return service;
}
