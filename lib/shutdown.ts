import { logger } from './logger.js';

/** Runs `cleanup` once on SIGINT or SIGTERM, then exits. A second signal exits at once. */
export function onShutdown(cleanup: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info('stopping', { signal });
    cleanup().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('clean stop failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
